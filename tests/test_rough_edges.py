"""Rough edges a careless user meets: each is one clear line, never a traceback, never wrong."""

from __future__ import annotations

import shlex
from pathlib import Path

from tests.conftest import Project


def test_the_apply_hint_is_quoted_for_the_shell_and_keeps_the_tenant(project: Project) -> None:
    project.write("ann.yaml", "email: ann@example.com\n")
    plan_file = project.root / "my plans" / "first plan.json"

    made = project.cli("plan", "-o", str(plan_file), "--tenant", "local")

    assert made.exit_code == 0, made.output
    hint = made.stderr.split("apply it with: ", 1)[1].strip()
    words = shlex.split(hint)
    assert words == ["reconcile", "apply", str(plan_file), "--tenant", "local"]
    applied = project.cli(*words[1:])
    assert applied.exit_code == 0, applied.output


def test_the_teardown_hint_is_a_command_that_works_as_printed(project: Project) -> None:
    project.write("ann.yaml", "email: ann@example.com\n")
    assert project.cli("apply", "--auto-approve").exit_code == 0
    plan_file = project.root / "my plans" / "tear down.json"

    saved = project.cli("teardown", "-o", str(plan_file), "--tenant", "local")

    assert saved.exit_code == 0, saved.output
    words = shlex.split(saved.stderr.split("apply it with: ", 1)[1].strip())
    assert words[:3] == ["reconcile", "apply", str(plan_file)]
    assert project.cli(*words[1:]).exit_code == 0


def test_apply_of_a_folder_says_to_give_a_plan_file(project: Project) -> None:
    project.plans.mkdir()

    for args in (("apply", str(project.plans)), ("show", str(project.plans))):
        result = project.cli(*args)

        assert result.exit_code == 1
        assert "Traceback" not in result.output
        assert result.exception is None or isinstance(result.exception, SystemExit)
        assert result.stderr.strip() == (
            f"error: {project.plans} is a folder: give a plan file, e.g. {project.plans}/NAME.json"
        )


def test_a_plan_from_another_project_is_refused_as_such(project: Project, tmp_path: Path) -> None:
    other = Project(tmp_path / "other")
    other.profiles.mkdir(parents=True)
    other.write("zed.yaml", "email: zed@example.com\n")
    made = other.cli("plan", "-o", str(other.plans / "zed.json"))
    assert made.exit_code == 0, made.output
    project.write("ann.yaml", "email: ann@example.com\n")

    applied = project.cli("apply", str(other.plans / "zed.json"))

    assert applied.exit_code == 1
    assert "the plan is from another project" in applied.stderr
    assert "none of the keys it writes (zed) is declared here" in applied.stderr
    assert "profiles.d/ changed" not in applied.stderr
