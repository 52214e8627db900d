"""The window the chunk check leaves (docs/apply.md, "No lost update"): a profile edited on the
tenant before the listing that checks its chunk is reported and kept; one edited after that
listing and before its write is overwritten for the fields the change writes, as documented;
``strict`` reads each profile right before its write and reports that edit too. A page read
serves its changes for ``window`` seconds; in the listing's order each page is read about once."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from reconcile.apply import freshness
from reconcile.apply.freshness import Freshness, Listed
from reconcile.apply.gate import ProjectPolicy
from reconcile.apply.journal import Journal
from reconcile.apply.outcomes import ApplyResult
from reconcile.apply.session import ApplyOptions, _locked
from reconcile.errors import ProfileMovedError
from reconcile.model.observed import ObservedProfile
from reconcile.plan import cost
from reconcile.plan.build import PlanOptions, build_plan
from reconcile.plan.value import Change, Plan
from reconcile.profiles.loader import load_profiles
from reconcile.sandbox import SandboxConfig, create_app
from reconcile.tenant import client as client_module
from reconcile.tenant.client import OmneoClient
from tests.inprocess import TARGET, tenant_http, with_client

LISTING = "/api/v3/identities"


class SomeoneEdits(httpx.AsyncBaseTransport):
    """The sandbox in process; once armed, right after the first request ``when`` matches,
    someone else sets ann's first name to Anne in Omneo."""

    def __init__(self, db: Path) -> None:
        self.inner = httpx.ASGITransport(app=create_app(SandboxConfig(db_path=db)))
        self.when: Callable[[httpx.Request], bool] | None = None
        self.victim = ""
        self.edited = False
        self.listings = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        self.listings += request.url.path == LISTING
        if self.when is not None and not self.edited and self.when(request):
            self.edited = True
            async with tenant_http(self.inner) as c:
                edit = await c.put(f"profiles/{self.victim}", json={"first_name": "Anne"})
                assert edit.status_code == 200, edit.text
        return response


def declare(profiles: Path, suffix: str) -> None:
    for name in ("ann", "bob"):
        text = f"first_name: {name.title()}{suffix}\nemail: {name}@example.com\n"
        (profiles / f"{name}.yaml").write_text(text)


def run(
    tmp_path: Path, arm: Callable[[SomeoneEdits], None], *, strict: bool = False
) -> tuple[ApplyResult, ObservedProfile]:
    """Create ann and bob, then arm the edit and apply a plan updating both; the result and
    ann as the tenant holds her afterwards."""
    profiles = tmp_path / "profiles.d"
    profiles.mkdir()
    transport = SomeoneEdits(tmp_path / "sandbox.db")
    found: dict[str, object] = {}

    async def body(client: OmneoClient) -> None:
        declare(profiles, "")
        await _apply(profiles, client, tmp_path / "first.jsonl", strict=False)
        declare(profiles, "ie" if strict else "y")
        ann = await client.find_by_identity("reconcile", "ann")
        assert ann is not None
        plan = await build_plan(
            load_profiles(profiles, phone_region="AU"), client, PlanOptions(tenant="sandbox")
        )
        transport.victim = ann.id
        arm(transport)
        found["result"] = await _apply(profiles, client, tmp_path / "second.jsonl", strict, plan)
        found["ann"] = await client.find_by_identity("reconcile", "ann")

    asyncio.run(with_client(transport, body))
    assert transport.edited
    result, ann = found["result"], found["ann"]
    assert isinstance(result, ApplyResult) and isinstance(ann, ObservedProfile)
    return result, ann


def test_an_edit_before_the_chunk_listing_is_reported_and_kept(tmp_path: Path) -> None:
    def at_verification(transport: SomeoneEdits) -> None:  # verify reads ann by id, then lists
        transport.when = lambda r: r.url.path == f"/api/v3/profiles/{transport.victim}"

    result, ann = run(tmp_path, at_verification)

    assert ann.fields["first_name"] == "Anne"
    [failure] = result.failed
    assert (failure.key, failure.error) == ("ann", "changed on the tenant since the plan; re-plan")
    assert [o.key for o in result.succeeded] == ["bob"]


def test_an_edit_inside_the_window_is_overwritten_as_documented(tmp_path: Path) -> None:
    def after_the_listing(transport: SomeoneEdits) -> None:
        transport.when = lambda r: r.url.path == LISTING

    result, ann = run(tmp_path, after_the_listing)

    assert result.complete  # the edit landed after the check: the documented window
    assert ann.fields["first_name"] == "Anny"


def test_strict_reports_an_edit_after_the_listing_would_have_checked(tmp_path: Path) -> None:
    def after_verification(transport: SomeoneEdits) -> None:
        transport.when = lambda r: r.url.path == f"/api/v3/profiles/{transport.victim}"

    result, ann = run(tmp_path, after_verification, strict=True)

    assert ann.fields["first_name"] == "Anne"
    assert [o.key for o in result.failed] == ["ann"]


def test_a_page_read_serves_its_changes_for_a_window(tmp_path: Path) -> None:
    """Five changes 3 s apart, a window of 5 s: the listing serves the first two, a page read
    again the next two, another the last."""
    transport = SomeoneEdits(tmp_path / "sandbox.db")
    now = [0.0]

    async def body(client: OmneoClient) -> None:
        made = await _owned_profiles(client, 5)
        fresh = Freshness(client, "reconcile", baselines=[p for _, p in made], managed=5,
                          window=5.0, clock=lambda: now[0])  # fmt: skip
        transport.listings = 0
        for key, profile in made[:4]:
            change = Change(action="update", key=key, profile_id=profile.id)
            assert (await fresh.confirm(change, profile)).id == profile.id
            now[0] += 3.0
        assert fresh.listings == transport.listings == 2
        key, profile = made[4]
        moved = profile.model_copy(update={"fields": {**profile.fields, "first_name": "X"}})
        with pytest.raises(ProfileMovedError, match="changed on the tenant"):
            await fresh.confirm(Change(action="update", key=key, profile_id=profile.id), moved)
        assert fresh.listings == transport.listings == 3

    asyncio.run(with_client(transport, body))


def test_the_verifications_listing_checks_the_changes_of_its_window(tmp_path: Path) -> None:
    """The pages apply's verification listed serve as read, when it read them: no request
    while they are younger than the window; then the page is read again. A listing already too
    old when the changes start is replaced by one of the check's own."""
    transport = SomeoneEdits(tmp_path / "sandbox.db")
    now = [100.0]

    async def body(client: OmneoClient) -> None:
        made = await _owned_profiles(client, 5)
        profiles = [p for _, p in made]
        listed = Listed(taken=99.0, pages=(tuple(p.id for p in profiles),))
        fresh = Freshness(client, "reconcile", baselines=profiles, managed=5, listed=listed,
                          window=5.0, clock=lambda: now[0])  # fmt: skip
        transport.listings = 0
        for key, profile in made[:3]:
            change = Change(action="update", key=key, profile_id=profile.id)
            assert (await fresh.confirm(change, profile)).id == profile.id
        assert fresh.listings == transport.listings == 0
        now[0] = 105.0  # the verification read the page 6 s ago
        key, profile = made[3]
        await fresh.confirm(Change(action="update", key=key, profile_id=profile.id), profile)
        assert fresh.listings == transport.listings == 1

        old = Listed(taken=90.0, pages=listed.pages)
        late = Freshness(client, "reconcile", baselines=profiles, managed=5, listed=old,
                         window=5.0, clock=lambda: now[0])  # fmt: skip
        key, profile = made[4]
        await late.confirm(Change(action="update", key=key, profile_id=profile.id), profile)
        assert late.listings == 1 and transport.listings == 2

    asyncio.run(with_client(transport, body))


def test_in_the_listings_order_each_page_is_read_again_about_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """120 changes on 6 pages of 20, run in the listing's order at 6.25 changes a second: the
    first 8 s (50 changes) are served by the listing, then each page is read again once as its
    turn comes (pages 3 to 6); the plan's estimate counts the same."""
    for module in (client_module, cost, freshness):
        monkeypatch.setattr(module, "PAGE_SIZE", 20)
    transport = SomeoneEdits(tmp_path / "sandbox.db")
    now = [0.0]

    async def body(client: OmneoClient) -> None:
        made = await _owned_profiles(client, 120)
        fresh = Freshness(client, "reconcile", baselines=[p for _, p in made], managed=120,
                          clock=lambda: now[0])  # fmt: skip
        transport.listings = 0
        await fresh.prepare()
        assert fresh.listings == 6
        by_place = sorted(made, key=lambda made: fresh.position(made[1].id) or (99, 0))
        assert [key for key, _ in by_place] == sorted(key for key, _ in made)  # creation order
        changes = [Change(action="update", key=k, profile_id=p.id) for k, p in reversed(made)]
        for key, profile in by_place:
            change = Change(action="update", key=key, profile_id=profile.id)
            assert (await fresh.confirm(change, profile)).id == profile.id
            now[0] += 1 / 6.25
        assert fresh.listings == transport.listings == 6 + 4
        assert cost.check_requests(changes, 120, rps=6.25) == 10

    asyncio.run(with_client(transport, body))


async def _owned_profiles(client: OmneoClient, count: int) -> list[tuple[str, ObservedProfile]]:
    """``count`` profiles of this project (owner identity ``p000``…), in creation order."""
    made = []
    for n in range(count):
        key = f"p{n:03}"
        body = {"email": f"{key}@example.com", "identities": [
            {"handle": "reconcile", "identifier": key}]}  # fmt: skip
        made.append((key, await client.create_profile(body)))
    return made


async def _apply(
    profiles: Path,
    client: OmneoClient,
    journal: Path,
    strict: bool,
    plan: Plan | None = None,
    *,
    concurrency: int = 8,
) -> ApplyResult:
    declared = load_profiles(profiles, phone_region="AU")
    made = plan or await build_plan(declared, client, PlanOptions(tenant="sandbox"))
    policy = ProjectPolicy(owner_handle="reconcile")
    options = ApplyOptions(policy=policy, strict=strict, force=True, concurrency=concurrency)
    return await _locked(made, declared, client, TARGET, Journal(journal), options,
                         on_notice=[].append)  # fmt: skip


def test_apply_runs_its_changes_in_the_listings_order_not_the_plans(tmp_path: Path) -> None:
    """Profiles created p029 first, so the listing shows them from p029 down while the plan is
    sorted from p000 up: apply starts its changes in the listing's order, each page's turn
    together, which is what keeps its pages to one read again each."""
    profiles = tmp_path / "profiles.d"
    profiles.mkdir()
    transport = SomeoneEdits(tmp_path / "sandbox.db")
    journal = tmp_path / "apply.jsonl"
    keys = [f"p{n:03}" for n in reversed(range(30))]

    async def body(client: OmneoClient) -> None:
        for key in keys:
            body = {"email": f"{key}@example.com", "first_name": "Old",
                    "identities": [{"handle": "reconcile", "identifier": key}]}  # fmt: skip
            await client.create_profile(body)
            (profiles / f"{key}.yaml").write_text(f"first_name: New\nemail: {key}@example.com\n")
        plan = await build_plan(
            load_profiles(profiles, phone_region="AU"), client, PlanOptions(tenant="sandbox")
        )
        assert [c.key for c in plan.changes] == sorted(keys)
        result = await _apply(profiles, client, journal, False, plan, concurrency=1)
        assert result.complete

    asyncio.run(with_client(transport, body))
    started = [json.loads(line) for line in journal.read_text().splitlines()]
    assert [e["key"] for e in started if e.get("status") == "started"] == keys
