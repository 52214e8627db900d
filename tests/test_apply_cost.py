"""What a plan says apply will cost, and the path a plain apply takes: one by one, or batched
when that takes fewer requests (on a test tenant), with the same journal and no duplicates."""

from __future__ import annotations

import json

import reconcile
from reconcile.plan.cost import BATCH_FROM
from reconcile.sandbox import ServedSandbox
from tests.conftest import Project


def declare(project: Project, count: int, *, first_name: str = "Customer") -> None:
    lines = ["profiles:"]
    for n in range(count):
        lines += [
            f"  - key: c{n:04}",
            f"    first_name: {first_name}{n}",
            f"    email: c{n}@example.com",
            f"    tags: [seed, batch-{n % 3}]",
            "    attributes: {comms: {email_promo: true}}",
            f"    custom_attributes: {{loyalty: {{points: {n}}}}}",
        ]
    project.write("seed.yaml", "\n".join(lines) + "\n")


def plan_and_apply(project: Project) -> tuple[reconcile.Plan, reconcile.ApplyResult]:
    """Plan and apply through the library, as the CLI does: the plan's estimate, and what the
    apply did (its API calls are the apply's own: lock, verification, writes)."""
    library = reconcile.Project(project.root, env={})
    plan = library.plan(out=project.plans / "run.json")
    return plan, library.apply(plan, force=True)


def journal_modes(project: Project) -> list[str]:
    lines = (project.plans / "run.journal.jsonl").read_text().splitlines()
    return [entry["mode"] for line in lines if (entry := json.loads(line))["type"] == "run"]


def test_the_estimate_is_what_apply_sends_one_by_one(project: Project) -> None:
    declare(project, BATCH_FROM - 1)  # too few to batch

    plan, result = plan_and_apply(project)

    assert plan.cost is not None and plan.cost.engine == "per-profile"
    # a create here is its POST, the comms flags and the custom attribute: three requests;
    # the result is counted before the last request, the lock's release
    assert plan.cost.requests == result.api_calls + 1
    assert result.complete and journal_modes(project) == ["apply"]

    (project.plans / "run.journal.jsonl").unlink()
    declare(project, BATCH_FROM - 1, first_name="Changed")  # updates: a read, then one PUT each
    plan, result = plan_and_apply(project)
    assert plan.cost is not None and plan.cost.requests == result.api_calls + 1


def test_a_plain_apply_batches_creates_when_that_is_cheaper(project: Project) -> None:
    declare(project, 120)

    plan, result = plan_and_apply(project)

    assert plan.cost is not None and plan.cost.engine == "batch"
    assert plan.cost.one_by_one > 120  # a request a create, one by one
    assert result.api_calls <= plan.cost.requests + 5  # a status read more if a batch is slow
    assert result.complete and len(result.succeeded) == 120
    assert journal_modes(project) == ["bulk"]
    again = project.cli("plan", "--detailed-exitcode")
    assert again.exit_code == 0, again.output  # every profile landed as declared, none twice


def test_the_plan_report_says_what_apply_will_cost(project: Project) -> None:
    declare(project, 120)

    shown = project.cli("plan")
    as_json = json.loads(project.cli("plan", "--format", "json").stdout)

    assert "apply: ≈ " in shown.stdout and "through /profiles/batch" in shown.stdout
    assert as_json["cost"]["engine"] == "batch"
    assert as_json["cost"]["seconds"] == round(as_json["cost"]["requests"] / 1000, 1)


def test_a_production_tenant_is_applied_one_by_one_unless_bulk_is_asked_for(
    project: Project, served_sandbox: ServedSandbox
) -> None:
    declare(project, 40)
    (project.root / "reconcile.toml").write_text(
        f'[tenants.prod]\nurl = "{served_sandbox.url}"\ntoken_env = "PROD_TOKEN"\n'
        'kind = "production"\nrps = 1000\n'
    )
    env = {"PROD_TOKEN": served_sandbox.token}

    shown = project.cli("plan", "-t", "prod", env=env)
    applied = project.cli("apply", "-t", "prod", "--auto-approve", env=env)

    assert shown.exit_code == 0, shown.output
    assert "apply: ≈ " in shown.stdout and "/profiles/batch" not in shown.stdout
    assert applied.exit_code == 0, applied.output
    assert "40 applied, 0 failed" in applied.stderr
