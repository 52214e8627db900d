"""No silent lost update: a profile edited on the tenant after apply checked the plan, and before
apply writes it, keeps the edit; apply reports that profile as failed and writes the others."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest

from reconcile.apply.gate import ProjectPolicy
from reconcile.apply.journal import Journal
from reconcile.apply.outcomes import ApplyResult
from reconcile.apply.session import ApplyOptions, _locked
from reconcile.errors import StalePlanError
from reconcile.model.observed import ObservedProfile
from reconcile.plan.build import PlanOptions, build_plan
from reconcile.plan.value import Plan
from reconcile.profiles.loader import load_profiles
from reconcile.sandbox import SandboxConfig, create_app
from reconcile.tenant.client import OmneoClient
from tests.inprocess import TARGET, tenant_http, with_client


class SomeoneEditsDuringApply(httpx.AsyncBaseTransport):
    """The sandbox in process; once armed, right after apply's check reads the profile
    ``victim_id``, someone else sets its first name in Omneo (before apply writes it)."""

    def __init__(self, db: Path) -> None:
        self.inner = httpx.ASGITransport(app=create_app(SandboxConfig(db_path=db)))
        self.victim_id: str | None = None
        self.edited = False

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        victim = f"/api/v3/profiles/{self.victim_id}"
        if not self.edited and request.method == "GET" and request.url.path == victim:
            self.edited = True
            await self._someone_sets_the_first_name()
        return response

    async def _someone_sets_the_first_name(self) -> None:
        async with tenant_http(self.inner) as other:
            edit = await other.put(f"profiles/{self.victim_id}", json={"first_name": "Anne"})
            assert edit.status_code == 200, edit.text


def test_a_concurrent_edit_is_kept_and_reported_never_overwritten(tmp_path: Path) -> None:
    profiles = tmp_path / "profiles.d"
    profiles.mkdir()
    (profiles / "ann.yaml").write_text("first_name: Ann\nemail: ann@example.com\n")
    (profiles / "bob.yaml").write_text("first_name: Bob\nemail: bob@example.com\n")
    transport = SomeoneEditsDuringApply(tmp_path / "sandbox.db")
    outcome: dict[str, object] = {}

    async def plan_apply_resume(client: OmneoClient) -> None:
        await _apply(profiles, client, tmp_path / "first.json")
        (profiles / "ann.yaml").write_text("first_name: Annie\nemail: ann@example.com\n")
        (profiles / "bob.yaml").write_text("first_name: Bobby\nemail: bob@example.com\n")
        ann = await client.find_by_identity("reconcile", "ann")
        assert ann is not None
        transport.victim_id = ann.id
        outcome["result"] = await _apply(profiles, client, tmp_path / "second.json")
        with pytest.raises(StalePlanError, match=r"the tenant changed .* \(ann\)"):
            await _apply(profiles, client, tmp_path / "second.json", resume=True)
        outcome["ann"] = await client.find_by_identity("reconcile", "ann")
        outcome["bob"] = await client.find_by_identity("reconcile", "bob")

    asyncio.run(with_client(transport, plan_apply_resume))

    assert transport.edited
    result, ann, bob = outcome["result"], outcome["ann"], outcome["bob"]
    assert isinstance(result, ApplyResult)
    assert isinstance(ann, ObservedProfile) and ann.fields["first_name"] == "Anne"  # kept
    assert isinstance(bob, ObservedProfile) and bob.fields["first_name"] == "Bobby"
    [failure] = result.failed
    assert failure.key == "ann"
    assert failure.error == "changed on the tenant since the plan; re-plan"
    assert [o.key for o in result.succeeded] == ["bob"]


async def _apply(
    profiles: Path, client: OmneoClient, plan_file: Path, *, resume: bool = False
) -> ApplyResult:
    """Plan (or, resuming, read the saved plan) and apply it, journalled beside ``plan_file``."""
    declared = load_profiles(profiles, phone_region="AU")
    if not resume:
        made = await build_plan(declared, client, PlanOptions(tenant="sandbox"))
        made.save(plan_file)
    journal = Journal.beside(plan_file)
    options = ApplyOptions(resume=resume, policy=ProjectPolicy(owner_handle="reconcile"))
    # The gated engine under apply_reviewed, through this test's own client (its transport edits
    # a profile mid-apply): lock, journal, every check of the gate.
    return await _locked(
        Plan.load(plan_file), declared, client, TARGET, journal, options, on_notice=[].append
    )
