"""Seeding a test tenant is plan + apply over a templated profiles.d/; production refuses bulk."""

from __future__ import annotations

import json
import textwrap

import pytest

from reconcile.sandbox import ServedSandbox
from tests.conftest import Project
from tests.test_export import saved_plan, synthetic_declaration, tenant_profiles


def write_seed(project: Project, count: int) -> list[str]:
    """Declare ``count`` synthetic customers; the CLI arguments that go with the declaration."""
    lines = ["profiles:"]
    for n in range(count):
        lines.append(f"  - key: seed-{n:06d}")
        body = synthetic_declaration(n)
        lines += [f"    {k}: {json.dumps(v, ensure_ascii=False)}" for k, v in body.items()]
    project.write("seed/customers.yaml", "\n".join(lines) + "\n")
    return []


def assert_seeds_then_second_plan_is_empty(project: Project, count: int) -> None:
    args = write_seed(project, count)
    plan = saved_plan(project, *args)
    assert len(plan["changes"]) == count
    assert {c["action"] for c in plan["changes"]} == {"create"}

    applied = project.cli("apply", "--auto-approve", *args)
    assert applied.exit_code == 0, applied.output
    assert f"{count} applied, 0 failed" in applied.stderr
    assert len(tenant_profiles(project)) == count

    second = project.cli("plan", "--detailed-exitcode", *args)
    assert second.exit_code == 0, second.output
    assert "No changes" in second.stdout and f"{count} unchanged" in second.stdout


@pytest.mark.slow
def test_seeding_1000_customers_then_a_second_plan_is_empty(project: Project) -> None:
    assert_seeds_then_second_plan_is_empty(project, 1000)


def test_seeding_customers_then_a_second_plan_is_empty(project: Project) -> None:
    assert_seeds_then_second_plan_is_empty(project, 40)


def test_seeded_profiles_have_realistic_variety(project: Project) -> None:
    write_seed(project, 60)
    assert project.cli("apply", "--auto-approve").exit_code == 0
    held = list(tenant_profiles(project).values())
    assert any(any(c in str(p["first_name"]) for c in "éëøłö") for p in held)
    regions = {str(p["mobile_phone"])[:3] for p in held if p["mobile_phone"]}
    assert len(regions) >= 4
    assert len({tag for p in held for tag in p["tags"]}) >= 4
    assert sum(1 for p in held if p.get("identities.shopify")) >= 10
    assert sum(1 for p in held if p["birth_year"]) >= 15


def _production(project: Project, served: ServedSandbox, max_creates: int) -> dict[str, str]:
    (project.root / "reconcile.toml").write_text(
        textwrap.dedent(
            f"""
            [tenants.prod]
            url = "{served.url}"
            token_env = "PROD_TOKEN"
            kind = "production"
            max_creates = {max_creates}
            """
        )
    )
    return {"PROD_TOKEN": served.token}


def test_a_production_tenant_refuses_bulk_seeding_unless_forced_with_a_reason(
    project: Project, served_sandbox: ServedSandbox
) -> None:
    env = _production(project, served_sandbox, max_creates=10)
    args = write_seed(project, 12)

    refused = project.cli("plan", "-t", "prod", *args, env=env)
    assert refused.exit_code == 1
    assert "this plan creates 12 profiles, more than its max_creates of 10" in refused.stderr
    assert project.saved_plans() == []  # a refused plan is not saved for apply
    refused_apply = project.cli("apply", "-t", "prod", "--auto-approve", *args, env=env)
    assert refused_apply.exit_code == 1 and "production tenant" in refused_apply.stderr

    forced = project.cli(
        "apply", "-t", "prod", "--auto-approve", "--force", "--reason", "launch day", *args, env=env
    )
    assert forced.exit_code == 0, forced.output
    assert "allowed by --force: launch day" in forced.stderr
    assert "12 applied, 0 failed" in forced.stderr


def test_a_production_tenant_allows_plans_within_max_creates(
    project: Project, served_sandbox: ServedSandbox
) -> None:
    env = _production(project, served_sandbox, max_creates=10)
    args = write_seed(project, 10)
    result = project.cli("apply", "-t", "prod", "--auto-approve", *args, env=env)
    assert result.exit_code == 0, result.output
    assert "production tenant" not in result.stderr
