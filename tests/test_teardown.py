"""Teardown: every managed profile goes, through a plan; unmanaged profiles are never touched."""

from __future__ import annotations

import json
import textwrap

from reconcile.sandbox import ServedSandbox
from tests.conftest import Project
from tests.test_export import create_unmanaged, synthetic_declaration, tenant_profiles


def _declare(project: Project, count: int, *, start: int = 100) -> None:
    lines = ["profiles:"]
    for n in range(start, start + count):
        body = synthetic_declaration(n)
        lines.append(f"  - key: seeded-{n}")
        lines += [f"    {k}: {json.dumps(v, ensure_ascii=False)}" for k, v in body.items()]
    project.write("seeded.yaml", "\n".join(lines) + "\n")


def _seeded_project(project: Project) -> set[str]:
    """5 unmanaged profiles made by someone else, and 8 managed ones seeded by this project."""
    unmanaged = set(create_unmanaged(project, 5))
    _declare(project, 8)
    applied = project.cli("apply", "--auto-approve")
    assert applied.exit_code == 0, applied.output
    assert len(tenant_profiles(project)) == 13
    return unmanaged


def test_teardown_deletes_every_managed_profile_and_nothing_else(project: Project) -> None:
    unmanaged = _seeded_project(project)
    before = tenant_profiles(project)

    result = project.cli("teardown", "--auto-approve")
    assert result.exit_code == 0, result.output
    assert "8 to delete" in result.stdout and "- delete seeded-100" in result.stdout
    assert "8 applied, 0 failed" in result.stderr

    after = tenant_profiles(project)
    assert set(after) == unmanaged
    assert all(after[i] == before[i] for i in unmanaged)  # not even a field changed
    again = project.cli("teardown", "--auto-approve")
    assert again.exit_code == 0 and "No changes" in again.stdout


def test_teardown_plan_is_saved_reviewed_and_applied_later(project: Project) -> None:
    unmanaged = _seeded_project(project)
    plan_file = project.plans / "teardown.json"

    saved = project.cli("teardown", "-o", str(plan_file))
    assert saved.exit_code == 0, saved.output
    assert f"reconcile -C {project.root} apply {plan_file} --allow-delete --force" in saved.stderr
    assert len(tenant_profiles(project)) == 13  # saving a plan changes nothing

    refused = project.cli("apply", str(plan_file))
    assert refused.exit_code == 1 and "--allow-delete" in refused.stderr
    unforced = project.cli("apply", str(plan_file), "--allow-delete")
    assert unforced.exit_code == 1
    assert "removes 8 profiles that profiles.d/ declares present" in unforced.stderr
    applied = project.cli("apply", str(plan_file), "--allow-delete", "--force")
    assert applied.exit_code == 0, applied.output
    assert set(tenant_profiles(project)) == unmanaged


def test_teardown_purge_needs_its_own_flag_to_apply(project: Project) -> None:
    unmanaged = _seeded_project(project)
    plan_file = project.plans / "purge.json"
    saved = project.cli("teardown", "--purge", "-o", str(plan_file))
    assert saved.exit_code == 0, saved.output
    assert "8 to purge" in saved.stdout

    assert project.cli("apply", str(plan_file), "--allow-delete", "--force").exit_code == 1
    applied = project.cli("apply", str(plan_file), "--allow-purge", "--force")
    assert applied.exit_code == 0, applied.output
    assert set(tenant_profiles(project)) == unmanaged


def test_teardown_without_a_terminal_refuses_rather_than_hangs(project: Project) -> None:
    _seeded_project(project)
    result = project.cli("teardown")
    assert result.exit_code == 1 and "--auto-approve" in result.stderr
    assert len(tenant_profiles(project)) == 13


def _production(project: Project, served: ServedSandbox) -> dict[str, str]:
    (project.root / "reconcile.toml").write_text(
        textwrap.dedent(
            f"""
            [tenants.prod]
            url = "{served.url}"
            token_env = "PROD_TOKEN"
            kind = "production"
            max_creates = 5
            rps = 1000  # a local sandbox: no pacing needed
            """
        )
    )
    return {"PROD_TOKEN": served.token}


def test_a_production_tenant_refuses_teardown(
    project: Project, served_sandbox: ServedSandbox
) -> None:
    env = _production(project, served_sandbox)
    _declare(project, 3)
    assert project.cli("apply", "-t", "prod", "--auto-approve", env=env).exit_code == 0

    refused = project.cli("teardown", "-t", "prod", "--auto-approve", env=env)
    assert refused.exit_code == 1
    assert "tenant 'prod' is a production tenant" in refused.stderr
    assert "--force --reason" in refused.stderr
    forced_without_reason = project.cli("teardown", "-t", "prod", "--force", env=env)
    assert forced_without_reason.exit_code == 1 and "pass --reason" in forced_without_reason.stderr
    plan = project.cli("plan", "-t", "prod", "--detailed-exitcode", env=env)
    assert plan.exit_code == 0 and "3 unchanged" in plan.stdout  # still all there

    forced = project.cli(
        "teardown", "-t", "prod", "--auto-approve", "--force", "--reason", "INC-42", env=env
    )
    assert forced.exit_code == 0, forced.output
    assert "allowed by --force: INC-42" in forced.stderr
    assert "3 applied, 0 failed" in forced.stderr


def test_teardown_leaves_profiles_another_project_manages_on_the_same_tenant(
    project: Project, served_sandbox: ServedSandbox
) -> None:
    other = Project(project.root.parent / "other-project")
    other.profiles.mkdir(parents=True)
    for each, owner in ((project, "reconcile"), (other, "reconcile-seed")):
        (each.root / "reconcile.toml").write_text(
            f'owner_handle = "{owner}"\n\n'
            f'[tenants.shared]\nurl = "{served_sandbox.url}"\ntoken_env = "T"\nkind = "test"\n'
            "rps = 1000\n"
        )
    env = {"T": served_sandbox.token}
    _declare(project, 3, start=100)
    _declare(other, 2, start=200)
    for each in (project, other):
        applied = each.cli("apply", "-t", "shared", "--auto-approve", env=env)
        assert applied.exit_code == 0, applied.output

    torn = project.cli("teardown", "-t", "shared", "--auto-approve", env=env)
    assert torn.exit_code == 0, torn.output
    assert "3 to delete" in torn.stdout and "seeded-200" not in torn.stdout
    kept = other.cli("plan", "-t", "shared", "--detailed-exitcode", env=env)
    assert kept.exit_code == 0, kept.output
    assert "No changes" in kept.stdout and "2 unchanged" in kept.stdout
