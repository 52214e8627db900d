"""A real tenant's answers, through a proxy that reshapes the sandbox's into the other forms the
sources describe (docs/tenant-compatibility.md): each form is read as the same profile, a
difference of form is never a change, and an answer the tool cannot read is one conflict."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from click.testing import Result

from tests.conftest import Project
from tests.reshaping import (
    VERIFICATIONS,
    Reshape,
    chain,
    custom_items,
    iso_timestamps,
    profiles_where,
    reshaped_sandbox,
    text_ids,
    verified,
)

JANE = """
    first_name: Jane
    last_name: Doe
    email: jane@example.com
    joined_at: 2020-05-01 10:00:00
    identities: {pos: pos-1}
    custom_attributes:
      loyalty: {tier: gold, visits: 3}
    """
OMAR = """
    first_name: Omar
    email: omar@example.com
    custom_attributes:
      loyalty: {tier: silver}
    """


def untroubled(result: Result) -> bool:
    """The command ended as the CLI ends it (an exit code), not with an exception."""
    return result.exception is None or isinstance(result.exception, SystemExit)


def converges(project: Project, tmp_path: Path, reshape: Reshape) -> None:
    """Plan, apply, and plan again through ``reshape``: no traceback, and nothing left to do."""
    with reshaped_sandbox(tmp_path, reshape) as tenant:
        planned = project.cli("plan", env=tenant.env)
        assert planned.exit_code == 0 and untroubled(planned), planned.output
        applied = project.cli("apply", "--auto-approve", env=tenant.env)
        assert applied.exit_code == 0, applied.output
        again = project.cli("plan", "--detailed-exitcode", env=tenant.env)
        assert again.exit_code == 0, again.output


def test_custom_attributes_as_items_are_read_as_the_map(project: Project, tmp_path: Path) -> None:
    project.write("jane.yaml", JANE)

    converges(project, tmp_path, custom_items)


def test_iso_joined_at_converges(project: Project, tmp_path: Path) -> None:
    project.write("jane.yaml", JANE)

    converges(project, tmp_path, iso_timestamps)


def test_ids_are_opaque_text(project: Project, tmp_path: Path) -> None:
    project.write("jane.yaml", JANE.rstrip(" ") + "    dates: {wedding: {date: 2015-03-14}}\n")

    converges(project, tmp_path, text_ids("idt-"))


def test_export_declares_no_server_owned_state(project: Project, tmp_path: Path) -> None:
    project.write("jane.yaml", JANE)
    with reshaped_sandbox(tmp_path, verified) as tenant:
        assert project.cli("apply", "--auto-approve", env=tenant.env).exit_code == 0
        project.remove("jane.yaml")
        exported = project.cli("export", env=tenant.env)
        assert exported.exit_code == 0, exported.output

        text = (project.profiles / "jane.yaml").read_text()
        assert not any(name in text for name in VERIFICATIONS), text
        again = project.cli("plan", "--detailed-exitcode", env=tenant.env)
        assert again.exit_code == 0, again.output


def test_an_unreadable_profile_is_one_conflict_and_the_rest_is_planned(
    project: Project, tmp_path: Path
) -> None:
    project.write("jane.yaml", JANE)
    project.write("omar.yaml", OMAR)
    is_jane = profiles_where(lambda p: p.get("email") == "jane@example.com", _unreadable)
    with reshaped_sandbox(tmp_path, lambda body: body) as plain:
        assert project.cli("apply", "--auto-approve", env=plain.env).exit_code == 0
    project.write("omar.yaml", OMAR.replace("silver", "bronze"))
    with reshaped_sandbox(tmp_path, chain(is_jane)) as tenant:
        planned = project.cli("plan", "--show-pii", env=tenant.env)

    assert planned.exit_code == 1 and untroubled(planned), planned.output
    conflicts = [line for line in planned.stdout.splitlines() if "conflict (" in line]
    assert len(conflicts) == 1, planned.stdout
    assert "conflict (unreadable) jane" in conflicts[0]
    assert "custom_attributes" in conflicts[0] and "a number (42)" in conflicts[0]
    assert "custom_attributes.loyalty.tier: silver → bronze" in planned.stdout
    assert planned.stderr.splitlines()[-1].startswith("error: 1 conflicts")


def _unreadable(profile: dict[str, Any]) -> dict[str, Any]:
    return {**profile, "custom_attributes": 42}


def test_export_skips_an_unreadable_profile_with_the_plan_s_message(
    project: Project, tmp_path: Path
) -> None:
    project.write("jane.yaml", JANE)
    project.write("omar.yaml", OMAR)
    with reshaped_sandbox(tmp_path, lambda body: body) as plain:
        assert project.cli("apply", "--auto-approve", env=plain.env).exit_code == 0
    is_jane = profiles_where(lambda p: p.get("email") == "jane@example.com", _unreadable)
    out = project.root / "exported"
    with reshaped_sandbox(tmp_path, is_jane) as tenant:
        exported = project.cli("export", "--out", str(out), env=tenant.env)

    assert exported.exit_code == 0 and untroubled(exported), exported.output
    assert "left out: jane: *: tenant profile " in exported.stderr
    assert "cannot be read: custom_attributes is a number (42)" in exported.stderr
    assert sorted(p.name for p in out.glob("*.yaml")) == ["omar.yaml"]


def test_apply_refuses_a_profile_that_became_unreadable_after_the_plan(
    project: Project, tmp_path: Path
) -> None:
    project.write("jane.yaml", JANE)
    is_jane = profiles_where(lambda p: p.get("email") == "jane@example.com", _unreadable)
    broken = {"now": False}  # the tenant's answers turn unreadable between plan and apply
    with reshaped_sandbox(
        tmp_path, lambda body: is_jane(body) if broken["now"] else body
    ) as tenant:
        assert project.cli("apply", "--auto-approve", env=tenant.env).exit_code == 0
        project.write("jane.yaml", JANE.replace("Doe", "Roe"))
        plan_file = project.plans / "reviewed.json"
        assert project.cli("plan", "-o", str(plan_file), env=tenant.env).exit_code == 0
        broken["now"] = True
        applied = project.cli("apply", str(plan_file), env=tenant.env)
        broken["now"] = False
        still = project.cli("plan", "--show-pii", env=tenant.env)

    assert applied.exit_code == 1 and untroubled(applied), applied.output
    assert "the tenant changed since the plan was made (jane)" in applied.stderr
    assert "last_name: Doe → Roe" in still.stdout  # nothing was written


def test_an_answer_unreadable_as_a_whole_is_one_error_line(
    project: Project, tmp_path: Path
) -> None:
    project.write("jane.yaml", JANE)

    def broken_listing(body: Any) -> Any:
        return (
            {**body, "data": {"a": 1, "b": 2}}
            if isinstance(body, dict) and "meta" in body
            else body
        )

    with reshaped_sandbox(tmp_path, broken_listing) as tenant:
        planned = project.cli("plan", env=tenant.env)

    assert planned.exit_code == 1 and untroubled(planned), planned.output
    assert planned.stderr.strip().splitlines() == [
        "error: GET identities answered in a form reconcile cannot read (data is an object of "
        "2 keys); see docs/tenant-compatibility.md"
    ]


def test_an_unreadable_managed_profile_is_never_planned_for_deletion(
    project: Project, tmp_path: Path
) -> None:
    project.write("jane.yaml", JANE)
    is_jane = profiles_where(lambda p: p.get("email") == "jane@example.com", _unreadable)
    broken = {"now": False}
    with reshaped_sandbox(
        tmp_path, lambda body: is_jane(body) if broken["now"] else body
    ) as tenant:
        assert project.cli("apply", "--auto-approve", env=tenant.env).exit_code == 0
        project.remove("jane.yaml")
        broken["now"] = True
        planned = project.cli("plan", "--allow-delete", env=tenant.env)

    assert planned.exit_code == 1 and untroubled(planned), planned.output
    assert "conflict (unreadable) jane" in planned.stdout and "delete jane" not in planned.stdout
