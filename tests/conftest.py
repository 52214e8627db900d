"""Fixtures named after the worlds they build.

``project``: an empty reconcile project in a temporary directory, with its own embedded sandbox
(``.reconcile/sandbox.db``), driven through the real CLI with ``project.cli("plan", ...)``.
``example_project``: the same, holding a copy of this repository's ``profiles.d/``.
"""

from __future__ import annotations

import os
import pty
import select
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import Result
from typer.testing import CliRunner

from reconcile.cli import app
from reconcile.sandbox import SandboxConfig, ServedSandbox, serve_in_thread

REPO = Path(__file__).resolve().parent.parent
# Left out of a subprocess's environment, so that it targets its own sandbox and decides colour.
_TENANT_AND_COLOR = ("OMNEO_URL", "OMNEO_TOKEN", "NO_COLOR")


@dataclass
class Project:
    """A reconcile project on disk, and a way to run the CLI in it."""

    root: Path

    @property
    def profiles(self) -> Path:
        return self.root / "profiles.d"

    @property
    def plans(self) -> Path:
        return self.root / "plans"

    def write(self, relative: str, text: str) -> Path:
        """Write a file under profiles.d/ (dedented), creating folders as needed."""
        path = self.profiles / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return path

    def remove(self, relative: str) -> None:
        (self.profiles / relative).unlink()

    def cli(
        self, *args: str, env: dict[str, str] | None = None, input: str | None = None
    ) -> Result:
        runner = CliRunner(
            env={"NO_COLOR": "1", "OMNEO_URL": None, "OMNEO_TOKEN": None, **(env or {})}
        )
        return runner.invoke(app, ["-C", str(self.root), *args], input=input)

    def on_terminal(
        self, *args: str, stream: str = "stdout", env: dict[str, str] | None = None
    ) -> tuple[int, str]:
        """Run the CLI in a subprocess with ``stream`` on a pseudo-terminal; its exit code and
        what the terminal showed (the other stream is discarded)."""
        inherited = {k: v for k, v in os.environ.items() if k not in _TENANT_AND_COLOR}
        leader, follower = pty.openpty()
        streams = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL, stream: follower}
        process = subprocess.run(
            [sys.executable, "-m", "reconcile", "-C", str(self.root), *args],
            cwd=REPO, env={**inherited, **(env or {})}, timeout=120, check=False,
            stdout=streams["stdout"], stderr=streams["stderr"],
        )  # fmt: skip
        os.close(follower)
        shown = b""
        while select.select([leader], [], [], 0.2)[0]:
            try:
                chunk = os.read(leader, 65536)
            except OSError:
                break
            if not chunk:
                break
            shown += chunk
        os.close(leader)
        return process.returncode, shown.decode()

    def saved_plans(self) -> list[Path]:
        return sorted(self.plans.glob("*.json"))


@pytest.fixture
def project(tmp_path: Path) -> Project:
    root = tmp_path / "project"
    (root / "profiles.d").mkdir(parents=True)
    return Project(root)


@pytest.fixture
def example_project(project: Project) -> Project:
    shutil.rmtree(project.profiles)
    shutil.copytree(REPO / "profiles.d", project.profiles)
    return project


@pytest.fixture(params=[True, False], ids=["fast-paths", "no-fast-paths"])
def fast_paths(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> bool:
    """Runs a test twice: with the fast paths, then with ``RECONCILE_NO_FAST_PATHS=1`` (every
    fast path sends its input to the library's own API: reconcile/fastpaths.py)."""
    on: bool = request.param
    if on:
        monkeypatch.delenv("RECONCILE_NO_FAST_PATHS", raising=False)
    else:
        monkeypatch.setenv("RECONCILE_NO_FAST_PATHS", "1")
    return on


# ---------------------------------------------------------------------------------------------
# Sandbox fixtures (owned by the sandbox engineer; used by the sandbox's tests and end-to-end tests)
# ---------------------------------------------------------------------------------------------


@pytest.fixture
def answer_style() -> str:
    """The forms the served sandbox answers in; a test module parametrizes it to run in both
    (``pytestmark = both_answer_styles``)."""
    return "reference"


both_answer_styles = pytest.mark.parametrize("answer_style", ["reference", "sdk"])


@pytest.fixture
def served_sandbox(tmp_path: Path, answer_style: str) -> Iterator[ServedSandbox]:
    """A fresh sandbox tenant served over real HTTP (uvicorn in a thread) on a free port.

    ``.url`` ends in ``/api/v3``; ``.token`` is the write token; ``.db_path`` is its SQLite file.
    """
    config = SandboxConfig.model_validate(
        {"db_path": tmp_path / "served" / "sandbox.db", "answer_style": answer_style}
    )
    with serve_in_thread(config) as served:
        yield served
