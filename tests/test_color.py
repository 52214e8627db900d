"""Terminal reports are coloured on a terminal only, and never when NO_COLOR is set."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys

from tests.conftest import REPO, Project


def _shown_on_a_terminal(project: Project, *args: str, no_color: bool) -> str:
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "OMNEO_URL")}
    if no_color:
        env["NO_COLOR"] = "1"
    leader, follower = pty.openpty()
    process = subprocess.run(
        [sys.executable, "-m", "reconcile", "-C", str(project.root), *args],
        cwd=REPO, env=env, stdout=follower, stderr=subprocess.DEVNULL, timeout=60, check=False,
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
    assert process.returncode == 0, shown.decode()
    return shown.decode()


def test_a_plan_is_coloured_on_a_terminal_and_plain_otherwise(project: Project) -> None:
    project.write("ann.yaml", "first_name: Ann\nemail: ann@example.com\n")
    plan_file = project.plans / "p.json"
    piped = project.cli("plan", "-o", str(plan_file))  # not a terminal: plain text
    assert piped.exit_code == 0, piped.output
    assert "\x1b[" not in piped.stdout and "+ create ann" in piped.stdout

    coloured = _shown_on_a_terminal(project, "show", str(plan_file), no_color=False)
    assert "\x1b[" in coloured and "create ann" in coloured

    plain = _shown_on_a_terminal(project, "show", str(plan_file), no_color=True)
    assert "\x1b[" not in plain and "+ create ann" in plain
