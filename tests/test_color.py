"""Terminal reports are coloured on a terminal only, and never when NO_COLOR is set."""

from __future__ import annotations

from tests.conftest import Project


def test_a_plan_is_coloured_on_a_terminal_and_plain_otherwise(project: Project) -> None:
    project.write("ann.yaml", "first_name: Ann\nemail: ann@example.com\n")
    plan_file = project.plans / "p.json"
    piped = project.cli("plan", "-o", str(plan_file))  # not a terminal: plain text
    assert piped.exit_code == 0, piped.output
    assert "\x1b[" not in piped.stdout and "+ create ann" in piped.stdout

    returncode, coloured = project.on_terminal("show", str(plan_file))
    assert returncode == 0, coloured
    assert "\x1b[" in coloured and "create ann" in coloured

    returncode, plain = project.on_terminal("show", str(plan_file), env={"NO_COLOR": "1"})
    assert returncode == 0, plain
    assert "\x1b[" not in plain and "+ create ann" in plain
