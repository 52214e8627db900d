"""Seeding a test tenant is plan + apply over a templated profiles.d/; production refuses bulk."""

from __future__ import annotations

import re
import shutil
import textwrap

import phonenumbers
import pytest

from reconcile.sandbox import ServedSandbox
from tests.conftest import REPO, Project
from tests.test_export import saved_plan, tenant_profiles

EXAMPLE = REPO / "docs" / "examples" / "seed"


def write_seed(project: Project, count: int) -> list[str]:
    """Put the seed example's template in profiles.d/; the CLI arguments that render ``count``."""
    template = EXAMPLE / "customers" / "synthetic.yaml.j2"
    (project.profiles / "seed").mkdir(parents=True, exist_ok=True)
    shutil.copy(template, project.profiles / "seed" / template.name)
    return ["--var", f"count={count}"]


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


def test_seeding_customers_then_a_second_plan_is_empty(project: Project) -> None:
    assert_seeds_then_second_plan_is_empty(project, 60)


@pytest.mark.slow  # more than one page of listing and batch: the full-size twin of the above
def test_seeding_1000_customers_then_a_second_plan_is_empty(project: Project) -> None:
    assert_seeds_then_second_plan_is_empty(project, 1000)


def test_seeded_profiles_have_realistic_variety(project: Project) -> None:
    args = write_seed(project, 70)
    assert project.cli("apply", "--auto-approve", *args).exit_code == 0
    held = list(tenant_profiles(project).values())
    assert len(held) == 70
    assert len({(p["first_name"], p["last_name"]) for p in held}) > 60  # not a short list
    assert sum(1 for p in held if re.search(r"[^\x00-\x7f]", f"{p['first_name']}{p['last_name']}"))
    assert all(p["email"].endswith("@example.com") for p in held)
    regions = {
        phonenumbers.region_code_for_number(phonenumbers.parse(p["mobile_phone"])) for p in held
    }
    assert regions == {"AU", "GB", "NZ", "DE", "FR", "US", "BR"}
    assert len({tag for p in held for tag in p["tags"]}) == 8
    assert "mobile-app" in {tag for p in held for tag in p["tags"]}  # spaces normalised
    assert sum(1 for p in held if p.get("identities.loyalty")) == 70
    assert sum(1 for p in held if p.get("identities.shopify")) == 24  # every third
    assert sum(1 for p in held if p.get("birth_year")) == 56  # every fifth has no year
    assert len({(p.get("birth_day"), p.get("birth_month")) for p in held}) > 40
    addressed = [p for p in held if p.get("addresses")]
    assert len(addressed) == 18  # every fourth
    assert {a["iso"] for p in addressed for a in p["addresses"]} == regions


def test_the_same_variables_declare_the_same_profiles(project: Project) -> None:
    args = write_seed(project, 30)
    first = project.cli("validate", *args)
    plan_a = saved_plan(project, *args)
    plan_b = saved_plan(project, *args)
    assert first.exit_code == 0, first.output
    assert plan_a == plan_b
    other = saved_plan(project, "--var", "count=30", "--var", "offset=30")
    assert {c["key"] for c in other["changes"]}.isdisjoint({c["key"] for c in plan_a["changes"]})


def test_the_readme_seed_project_seeds_and_tears_down(project: Project) -> None:
    example = project.root.parent / "seed"
    shutil.copytree(EXAMPLE, example, ignore=shutil.ignore_patterns(".reconcile"))
    seeded = Project(example)
    applied = seeded.cli("apply", "--var", "count=25", "--auto-approve")
    assert applied.exit_code == 0, applied.output
    assert "25 applied, 0 failed" in applied.stderr
    again = seeded.cli("plan", "--var", "count=25", "--detailed-exitcode")
    assert again.exit_code == 0 and "No changes" in again.stdout
    gone = seeded.cli("teardown", "--var", "count=25", "--auto-approve")
    assert gone.exit_code == 0, gone.output
    assert "25 applied, 0 failed" in gone.stderr


def _production(project: Project, served: ServedSandbox, max_creates: int) -> dict[str, str]:
    (project.root / "reconcile.toml").write_text(
        textwrap.dedent(
            f"""
            [tenants.prod]
            url = "{served.url}"
            token_env = "PROD_TOKEN"
            kind = "production"
            max_creates = {max_creates}
            rps = 1000  # a local sandbox: no pacing needed (the default is 10 requests/s)
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


def test_a_production_tenant_refuses_bulk_mode_unless_forced_with_a_reason(
    project: Project, served_sandbox: ServedSandbox
) -> None:
    env = _production(project, served_sandbox, max_creates=10)
    args = write_seed(project, 3)
    refused = project.cli("apply", "-t", "prod", "--bulk", "--auto-approve", *args, env=env)
    assert refused.exit_code == 1
    assert "bulk mode is for seeding test tenants; refused" in refused.stderr
    forced = project.cli(
        "apply",
        "-t",
        "prod",
        "--bulk",
        "--auto-approve",
        "--force",
        "--reason",
        "migration",
        *args,
        env=env,
    )
    assert forced.exit_code == 0, forced.output
    assert "3 applied, 0 failed" in forced.stderr
