"""About one request per change: creates and updates applied one by one, counted on the sandbox
with the lock and the checks included, cost at most 1.25 requests each for the benchmark's profile
shape; the plan's estimate is what apply sends; a tenant that does not take a profile's parts
inline gets them through their own endpoints, and the summary says which path they took."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx
import pytest

from reconcile.apply.gate import ProjectPolicy
from reconcile.apply.journal import Journal
from reconcile.apply.outcomes import ApplyResult
from reconcile.apply.resume import resume_command
from reconcile.apply.session import ApplyOptions, _locked
from reconcile.plan.build import PlanOptions, build_plan
from reconcile.plan.value import Plan
from reconcile.profiles.loader import load_profiles
from reconcile.sandbox import SandboxConfig, create_app
from reconcile.tenant.client import OmneoClient
from tests.bench.synth import write_tree
from tests.conftest import Project
from tests.inprocess import TARGET, tenant_http

Edit = Callable[[httpx.AsyncClient], Awaitable[None]]
N = 120  # more than apply's listing threshold (50): verification reads one listing


class Counting(httpx.AsyncBaseTransport):
    """The sandbox in process, counting the requests sent to it by method and route."""

    def __init__(self, config: SandboxConfig) -> None:
        self.inner = httpx.ASGITransport(app=create_app(config))
        self.sent: Counter[str] = Counter()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        parts = request.url.path.removeprefix("/api/v3/").split("/")
        self.sent[f"{request.method} {'/'.join(parts[:1] + ['…'] * (len(parts) > 1))}"] += 1
        return await self.inner.handle_async_request(request)

    @property
    def total(self) -> int:
        return sum(self.sent.values())


class Tenant:
    """A project's profiles.d/ and a sandbox tenant, planned and applied through the library."""

    def __init__(self, root: Path, *, inline: bool = True, style: str = "reference") -> None:
        self.profiles = root / "profiles.d"
        self.root = root
        config = SandboxConfig.model_validate(
            {"db_path": root / "sandbox.db", "inline_parts": inline, "answer_style": style}
        )
        self.transport = Counting(config)
        self.runs = 0

    def plan_and_apply(
        self, *, after_plan: Edit | None = None, **options: bool
    ) -> tuple[Plan, ApplyResult, int]:
        """Plan, then (after ``after_plan``, someone else's edit) apply under the lock; the plan,
        the result and the apply's requests."""
        policy = ProjectPolicy(owner_handle="reconcile")
        applying = ApplyOptions(policy=policy, force=True, **options)  # all updated: unsafe
        return asyncio.run(self._plan_and_apply(applying, after_plan))

    async def _plan_and_apply(
        self, options: ApplyOptions, after_plan: Edit | None
    ) -> tuple[Plan, ApplyResult, int]:
        self.runs += 1
        declared = load_profiles(self.profiles, phone_region="AU")
        async with tenant_http(self.transport) as http:
            client = OmneoClient(http)
            plan = await build_plan(declared, client, PlanOptions(tenant="sandbox"))
            if after_plan is not None:
                await after_plan(http)
            before = self.transport.total
            journal = Journal(self.root / f"run-{self.runs}.journal.jsonl")
            result = await _locked(
                plan, declared, client, TARGET, journal, options, on_notice=[].append
            )
            return plan, result, self.transport.total - before

    def rename_everyone(self) -> None:
        """A one-field update of every profile: a new first name."""
        for path in self.profiles.glob("*.yaml"):
            text = path.read_text(encoding="utf-8")
            path.write_text(text.replace('first_name: "', 'first_name: "New'), encoding="utf-8")


def test_creates_and_updates_cost_at_most_one_and_a_quarter_requests_each(
    tmp_path: Path,
) -> None:
    tenant = Tenant(tmp_path)
    write_tree(tenant.profiles, range(N))

    plan, created, requests = tenant.plan_and_apply(bulk=False)

    assert created.complete and len(created.succeeded) == N
    assert requests <= 1.25 * N, tenant.transport.sent
    assert tenant.transport.sent["POST profiles"] == N + 1  # one per profile, and the lock's
    assert plan.cost is not None and plan.cost.one_by_one == requests
    assert created.parts == "profile parts written inline"

    tenant.rename_everyone()
    plan, updated, requests = tenant.plan_and_apply()

    assert updated.complete and len(updated.succeeded) == N
    assert {c.action for c in plan.changes} == {"update"}
    assert requests <= 1.25 * N
    assert plan.cost is not None and plan.cost.requests == requests
    again, _, _ = tenant.plan_and_apply()
    assert not again.changes  # every profile landed as declared, none twice


def test_the_sdk_answer_style_shows_the_parts_stored_too(tmp_path: Path) -> None:
    tenant = Tenant(tmp_path, style="sdk")
    write_tree(tenant.profiles, range(60))  # over 50: verification reads one listing

    _, created, requests = tenant.plan_and_apply(bulk=False)

    assert created.complete and created.parts == "profile parts written inline"
    assert requests <= 1.25 * 60
    again, _, _ = tenant.plan_and_apply()
    assert not again.changes


def test_strict_reads_each_profile_before_its_write(tmp_path: Path) -> None:
    tenant = Tenant(tmp_path)
    write_tree(tenant.profiles, range(N))
    tenant.plan_and_apply(bulk=False)
    tenant.rename_everyone()
    tenant.transport.sent.clear()

    _, updated, requests = tenant.plan_and_apply(strict=True)

    assert updated.complete
    assert tenant.transport.sent["GET profiles/…"] >= N  # one read of each before its write
    assert requests >= 2 * N


def test_a_tenant_that_ignores_parts_inline_gets_them_through_their_endpoints(
    tmp_path: Path,
) -> None:
    tenant = Tenant(tmp_path, inline=False)
    write_tree(tenant.profiles, range(30))

    plan, result, requests = tenant.plan_and_apply(bulk=False)

    assert result.complete
    assert result.parts == "profile parts written through their own endpoints"
    # the first create learnt it: the others send their parts separately, as the POST did
    assert tenant.transport.sent["PUT profiles/…"] >= 30 * 3  # comms, two custom attributes
    assert requests > plan.cost.requests if plan.cost else True
    again, _, _ = tenant.plan_and_apply()
    assert not again.changes


@pytest.mark.parametrize("value", ["email", "identity"])
def test_a_create_over_a_value_someone_took_since_the_plan_fails_alone(
    tmp_path: Path, value: str
) -> None:
    """The tenant's own 422 stops it: the change fails with the API's message, the others go on,
    and nothing is duplicated."""
    tenant = Tenant(tmp_path)
    write_tree(tenant.profiles, range(3))
    taken = {"email": "bench.000001@example.com", "identity": "sh-000001"}[value]

    async def someone_takes_it(http: httpx.AsyncClient) -> None:
        body: dict[str, object] = {"email": "someone@example.com"}
        if value == "email":
            body["email"] = taken
        else:
            body["identities"] = [{"handle": "shopify", "identifier": taken}]
        assert (await http.post("profiles", json=body)).status_code == 201

    _, result, _ = tenant.plan_and_apply(after_plan=someone_takes_it, bulk=False)

    [failure] = result.failed
    assert failure.key == "bench-000001"
    assert "has already been taken" in (failure.error or "")
    assert sorted(o.key for o in result.succeeded) == ["bench-000000", "bench-000002"]


def test_the_apply_summary_says_which_path_the_parts_took(project: Project) -> None:
    project.write(
        "ann.yaml",
        """
        first_name: Ann
        email: ann@example.com
        attributes: {comms: {email_promo: true}}
        custom_attributes: {loyalty: {points: 3}}
        """,
    )

    applied = project.cli("apply", "--auto-approve")

    assert applied.exit_code == 0, applied.output
    assert "1 applied, 0 failed" in applied.stderr
    assert "Profile parts: written inline" in applied.stderr


def test_the_resume_command_repeats_strict() -> None:
    assert resume_command(Path("plans/a.json"), strict=True).endswith("--strict")
