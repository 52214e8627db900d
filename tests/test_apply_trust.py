"""A plan file is input: an edited plan, its checksum recomputed, never touches a profile this
project does not own, never adopts a profile its declarations do not match, and never passes as
safe when its changes are not."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from reconcile.plan.value import Plan
from tests.conftest import Project
from tests.test_apply import plan_to, tenant_call

Edit = Callable[[dict[str, Any]], None]


def tamper(plan_file: Path, edit: Edit) -> None:
    """Edit a saved plan as an attacker would, and recompute its checksum with the library."""
    data = json.loads(plan_file.read_text())
    edit(data)
    data["checksum"] = ""
    data["checksum"] = Plan.model_validate(data).computed_checksum()
    plan_file.write_text(json.dumps(data, indent=2))
    Plan.load(plan_file)  # the checksum holds: only what apply checks can stop it


@pytest.fixture
def world(project: Project) -> tuple[Project, Any]:
    """Ann is managed; Victor is a profile on the tenant that this project does not manage."""
    project.write("ann.yaml", "first_name: Ann\nemail: ann@example.com\n")
    assert project.cli("apply", "--auto-approve").exit_code == 0
    victor = tenant_call(
        project, "create_profile", {"first_name": "Victor", "email": "victor@example.com"}
    )
    return project, victor


def assert_untouched(project: Project, victor: Any) -> None:
    now = tenant_call(project, "get_profile", victor.id)
    assert now is not None, "the unmanaged profile was deleted"
    assert now.fingerprint() == victor.fingerprint()


def test_a_delete_redirected_to_an_unmanaged_profile_is_refused(
    world: tuple[Project, Any],
) -> None:
    project, victor = world
    project.write("ann.yaml", "first_name: Annie\nemail: ann@example.com\n")
    plan_file = plan_to(project, "p")

    def redirect(data: dict[str, Any]) -> None:
        change = data["changes"][0]
        change.update(action="delete", profile_id=victor.id, fingerprint=victor.fingerprint())
        change["fields"] = []
        data["allow_delete"] = True

    tamper(plan_file, redirect)
    applied = project.cli("apply", str(plan_file), "--allow-delete", "--force")

    assert applied.exit_code == 1
    assert "Traceback" not in applied.output
    assert f"profile {victor.id} carries no reconcile identity, not reconcile=ann" in (
        applied.stderr
    )
    assert "nothing was written" in applied.stderr
    assert_untouched(project, victor)


def test_an_update_redirected_to_an_unmanaged_profile_is_refused(
    world: tuple[Project, Any],
) -> None:
    project, victor = world
    project.write("ann.yaml", "first_name: Annie\nemail: ann@example.com\n")
    plan_file = plan_to(project, "p")

    def redirect(data: dict[str, Any]) -> None:
        data["changes"][0].update(profile_id=victor.id, fingerprint=victor.fingerprint())

    tamper(plan_file, redirect)
    applied = project.cli("apply", str(plan_file))

    assert applied.exit_code == 1
    assert "not reconcile=ann: not this project's" in applied.stderr
    assert_untouched(project, victor)


def test_an_adoption_of_a_profile_the_declarations_do_not_match_is_refused(
    world: tuple[Project, Any],
) -> None:
    project, victor = world
    tenant_call(project, "create_profile", {"first_name": "B", "email": "bea@example.com"})
    project.write("bea.yaml", "first_name: Bea\nemail: bea@example.com\n")
    plan_file = plan_to(project, "p")
    assert json.loads(plan_file.read_text())["changes"][0]["action"] == "adopt"

    def redirect(data: dict[str, Any]) -> None:
        data["changes"][0].update(profile_id=victor.id, fingerprint=victor.fingerprint())

    tamper(plan_file, redirect)
    applied = project.cli("apply", str(plan_file))

    assert applied.exit_code == 1
    assert f"profile {victor.id} holds none of the email, mobile or identities" in applied.stderr
    assert_untouched(project, victor)


def test_a_plan_of_another_owner_handle_is_refused_as_another_projects(
    world: tuple[Project, Any],
) -> None:
    project, victor = world
    tenant_call(project, "add_identity", victor.id, "shop", "ann")
    project.write("ann.yaml", "first_name: Annie\nemail: ann@example.com\n")
    plan_file = plan_to(project, "p")

    def rehandle(data: dict[str, Any]) -> None:
        data["owner_handle"] = "shop"
        data["changes"][0].update(profile_id=victor.id)

    tamper(plan_file, rehandle)
    applied = project.cli("apply", str(plan_file))

    assert applied.exit_code == 1
    assert "the plan is from another project: it manages profiles under the handle 'shop'" in (
        applied.stderr
    )


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda d: d.update(allow_delete=False), "a delete in a plan made without --allow-delete"),
        (lambda d: d["selectors"].update(target=["zz*"]), "outside the plan's selection"),
        (
            lambda d: d["changes"][0].update(action="update", fields=[_field("email")]),
            "profiles.d/ declares no such profile",
        ),
    ],
    ids=["flag", "selection", "undeclared-update"],
)
def test_a_plan_that_contradicts_itself_is_refused(
    project: Project, edit: Edit, message: str
) -> None:
    for name in ("ann", "bob"):
        project.write(f"{name}.yaml", f"email: {name}@example.com\n")
    assert project.cli("apply", "--auto-approve").exit_code == 0
    project.remove("bob.yaml")
    plan_file = plan_to(project, "p", "--allow-delete")

    tamper(plan_file, edit)
    applied = project.cli("apply", str(plan_file), "--allow-delete")

    assert applied.exit_code == 1
    assert "the plan contradicts itself or profiles.d/" in applied.stderr
    assert message in applied.stderr
    assert tenant_call(project, "find_by_identity", "reconcile", "bob") is not None


def test_an_update_may_write_only_declared_fields(world: tuple[Project, Any]) -> None:
    project, _ = world
    project.write("ann.yaml", "first_name: Annie\nemail: ann@example.com\n")
    plan_file = plan_to(project, "p")

    tamper(plan_file, lambda d: d["changes"][0]["fields"].append(_field("last_name")))
    applied = project.cli("apply", str(plan_file))

    assert applied.exit_code == 1
    assert "writes fields profiles.d/ does not declare (last_name)" in applied.stderr


def test_safety_is_recomputed_from_the_changes_not_read_from_the_plan(project: Project) -> None:
    for n in range(12):
        project.write(f"p{n:02}.yaml", f"email: p{n}@example.com\n")
    assert project.cli("apply", "--auto-approve").exit_code == 0
    for n in range(6):
        project.remove(f"p{n:02}.yaml")
    plan_file = plan_to(project, "p", "--allow-delete")
    assert json.loads(plan_file.read_text())["unsafe"]

    tamper(plan_file, lambda d: d.update(unsafe=[], managed=1000, threshold=1.0))
    applied = project.cli("apply", str(plan_file), "--allow-delete")

    assert applied.exit_code == 1
    assert "too many deletes: 6 of 12 managed profiles (50.0%)" in applied.stderr
    assert tenant_call(project, "find_by_identity", "reconcile", "p00") is not None
    forced = project.cli("apply", str(plan_file), "--allow-delete", "--force")
    assert forced.exit_code == 0, forced.output


def _field(name: str) -> dict[str, Any]:
    return {"field": name, "path": name, "before": None, "after": "x", "redacted": False}


def test_with_a_plan_key_only_plans_signed_with_it_are_applied(
    world: tuple[Project, Any],
) -> None:
    project, victor = world
    key = {"RECONCILE_PLAN_KEY": "s3cret-shared-by-plan-and-apply"}
    project.write("ann.yaml", "first_name: Annie\nemail: ann@example.com\n")
    unsigned = plan_to(project, "unsigned")
    signed = project.plans / "signed.json"
    assert project.cli("plan", "-o", str(signed), env=key).exit_code == 0
    assert json.loads(signed.read_text())["signature"].startswith("hmac-sha256:")
    other = project.plans / "other.json"
    assert project.cli("plan", "-o", str(other), env={"RECONCILE_PLAN_KEY": "guess"}).exit_code == 0
    edited = project.plans / "edited.json"
    edited.write_text(signed.read_text())
    tamper(edited, lambda d: d["changes"][0]["fields"].pop())

    refusals = {
        unsigned: "the plan is not signed, and a plan key is set",
        other: "the plan's signature does not match the plan key",
        edited: "the plan's signature does not match the plan key",
    }
    for plan_file, message in refusals.items():
        refused = project.cli("apply", str(plan_file), env=key)
        assert refused.exit_code == 1
        assert message in refused.stderr and "s3cret" not in refused.output
    applied = project.cli("apply", str(signed), env=key)
    assert applied.exit_code == 0, applied.output
    assert_untouched(project, victor)
