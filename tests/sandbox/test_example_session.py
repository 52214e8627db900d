"""The curl session in docs/sandbox.md runs as written (against a served sandbox)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from reconcile.sandbox import ServedSandbox
from tests.conftest import both_answer_styles

pytestmark = both_answer_styles  # form-independent: run in both styles

PAGE = Path(__file__).resolve().parents[2] / "docs" / "sandbox.md"


def session() -> str:
    text = PAGE.read_text(encoding="utf-8")
    start = text.index("```sh\n", text.index("An example session")) + len("```sh\n")
    return text[start : text.index("```\n", start)]


@pytest.mark.skipif(not (shutil.which("curl") and shutil.which("bash")), reason="needs curl, bash")
def test_the_documented_session_runs(served_sandbox: ServedSandbox, tmp_path: Path) -> None:
    script = session().replace("http://127.0.0.1:8765/api/v3", served_sandbox.url)
    python = tmp_path / "bin"
    python.mkdir()
    (python / "python3").symlink_to(sys.executable)  # the session parses JSON with python3
    env = {**os.environ, "PATH": f"{python}{os.pathsep}{os.environ.get('PATH', '')}"}
    done = subprocess.run(
        ["bash", "-e", "-c", script], capture_output=True, text=True, env=env, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert '"full_name":"Jane Unknown"' in done.stdout
    assert '"errors":{"email":["The email field is required."]}' in done.stdout
    assert "204" in done.stdout and '"openapi":"3.1.0"' in done.stdout
