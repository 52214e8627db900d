"""The parts of apply: uniqueness ordering, the token bucket and backoff, the journal, and a
create whose answer is lost."""

from __future__ import annotations

import asyncio
import json
import random
from pathlib import Path

import httpx
import pytest

from reconcile.apply.bodies import TargetProfile
from reconcile.apply.journal import ChangeEntry, Journal
from reconcile.apply.ordering import (
    TEMPORARY_EMAIL_DOMAIN,
    Claims,
    schedule,
    temporary_email,
)
from reconcile.apply.scheduler import run_steps
from reconcile.apply.writes import Writer
from reconcile.errors import OrderingError, PlanError
from reconcile.model.declaration import Declaration
from reconcile.model.desired import DesiredProfile
from reconcile.model.normalize import normalize_email
from reconcile.plan.cost import BATCH_SIZE, LISTING_FROM
from reconcile.sandbox import DEFAULT_TOKEN, SandboxConfig, create_app
from reconcile.tenant.client import OmneoClient
from reconcile.tenant.pacing import MIN_RATE
from reconcile.tenant.ratelimit import RetryPolicy, TokenBucket, parse_retry_after


def email(value: str) -> tuple[str, str]:
    return ("email", value)


# -- ordering --------------------------------------------------------------------------------


def test_a_change_that_frees_a_value_goes_before_the_one_that_takes_it() -> None:
    taker = Claims(key="a", takes={email("x@e.io")})
    giver = Claims(key="b", frees={email("x@e.io")}, takes={email("y@e.io")})
    steps = schedule([taker, giver]).steps
    assert [(s.id, s.after) for s in steps] == [("b", ()), ("a", ("b",))]


def test_independent_changes_wait_for_nothing() -> None:
    steps = schedule([Claims(key=k, takes={email(f"{k}@e.io")}) for k in "cab"]).steps
    assert [(s.id, s.after) for s in steps] == [("a", ()), ("b", ()), ("c", ())]


def test_a_swap_is_split_through_a_free_step_that_parks_the_contested_value() -> None:
    a = Claims(key="a", frees={email("a@e.io")}, takes={email("b@e.io")})
    b = Claims(key="b", frees={email("b@e.io")}, takes={email("a@e.io")})
    planned = schedule([a, b])
    assert planned.split == ("a",)
    free, *_ = planned.steps
    assert (free.id, free.phase, free.parks) == ("a#free", "free", (email("a@e.io"),))
    order = [s.id for s in planned.steps]
    assert order.index("a#free") < order.index("b") < order.index("a")


def test_many_disjoint_cycles_are_each_broken_once() -> None:
    claims = []
    for n in range(50):
        x, y = f"x{n}@e.io", f"y{n}@e.io"
        claims += [
            Claims(key=f"p{n:02}", frees={email(x)}, takes={email(y)}),
            Claims(key=f"q{n:02}", frees={email(y)}, takes={email(x)}),
        ]
    planned = schedule(claims)
    assert len(planned.split) == 50
    seen: set[str] = set()
    for step in planned.steps:
        assert set(step.after) <= seen
        seen.add(step.id)


def test_two_changes_taking_the_same_value_are_reported_before_writing() -> None:
    with pytest.raises(OrderingError) as refused:
        schedule([Claims(key=k, takes={email("jane@e.io")}) for k in "ab"])
    assert "a and b both take email j***@e.io" in str(refused.value)
    assert "jane@" not in str(refused.value)


def test_the_temporary_email_is_valid_stable_and_undeliverable() -> None:
    parked = temporary_email("vip-charlotte-martin")
    assert normalize_email(parked) == parked == temporary_email("vip-charlotte-martin")
    assert parked.endswith("@reconcile.example") and parked != temporary_email("other")


# -- scheduler -------------------------------------------------------------------------------


def test_steps_after_a_failed_step_are_blocked_and_unrelated_steps_still_run() -> None:
    giver = Claims(key="giver", frees={email("x@e.io")})
    taker = Claims(key="taker", takes={email("x@e.io")})
    other = Claims(key="other", takes={email("o@e.io")})
    ran: list[str] = []
    blocked: list[tuple[str, list[str]]] = []

    async def execute(step: object) -> bool:
        ran.append(step.id)  # type: ignore[attr-defined]
        return step.id != "giver"  # type: ignore[attr-defined]

    steps = schedule([giver, taker, other]).steps
    skipped = asyncio.run(
        run_steps(steps, execute, lambda s, b: blocked.append((s.id, [x.id for x in b])))
    )
    assert sorted(ran) == ["giver", "other"] and not skipped
    assert blocked == [("taker", ["giver"])]


# -- token bucket and backoff ----------------------------------------------------------------


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_the_bucket_paces_requests_to_its_rate() -> None:
    clock = FakeClock()
    bucket = TokenBucket(5.0, burst=1.0, clock=clock, sleep=clock.sleep)

    async def take(n: int) -> None:
        for _ in range(n):
            await bucket.acquire()

    asyncio.run(take(11))
    assert clock.now - 100.0 == pytest.approx(2.0)


def test_backoff_grows_exponentially_with_jitter_up_to_a_cap() -> None:
    policy = RetryPolicy(base=0.1, cap=2.0, rng=random.Random(7))
    delays = [policy.delay(n) for n in range(1, 10)]
    assert 0.05 <= delays[0] <= 0.1 and 0.2 <= delays[2] <= 0.4
    assert all(1.0 <= d <= 2.0 for d in delays[5:])
    assert len(set(delays)) == len(delays)  # jitter: no two retries in lockstep


def test_retry_after_takes_seconds_or_an_http_date() -> None:
    assert parse_retry_after("3") == 3.0
    assert parse_retry_after(None) is None and parse_retry_after("soon") is None
    date = "Wed, 21 Oct 2015 07:28:05 GMT"
    assert parse_retry_after(date, now=1445412480.0) == pytest.approx(5.0)


# -- journal ---------------------------------------------------------------------------------


def entry(key: str, status: str) -> ChangeEntry:
    return ChangeEntry.model_validate({"key": key, "action": "create", "status": status})


def test_the_journal_tells_done_from_half_done(tmp_path: Path) -> None:
    journal = Journal.beside(tmp_path / "plans" / "seed.json")
    journal.start("sum1", "apply")
    journal.record(entry("a", "started"), entry("a", "ok"), entry("b", "started"))
    journal.record(entry("c", "failed"))
    journal.close()

    state = journal.read("sum1")

    assert journal.path == tmp_path / "plans" / "seed.journal.jsonl"
    assert (state.runs, sorted(state.succeeded), sorted(state.touched)) == (1, ["a"], ["b"])
    assert state.attempt("b") == 2 and state.attempt("c") == 1
    lines = [json.loads(line) for line in journal.path.read_text().splitlines()]
    assert [line["type"] for line in lines] == ["run", "change", "change", "change", "change"]


def test_a_line_torn_by_a_kill_is_ignored_and_the_next_run_starts_clean(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "p.journal.jsonl")
    journal.start("sum1", "apply")
    journal.record(entry("a", "ok"))
    journal.close()
    with journal.path.open("a") as torn:
        torn.write('{"type": "change", "key": "b", "sta')
    assert sorted(journal.read("sum1").succeeded) == ["a"]

    journal.start("sum1", "resume")
    journal.record(entry("b", "ok"))
    journal.close()
    assert sorted(journal.read("sum1").succeeded) == ["a", "b"]


def test_a_journal_of_another_plan_is_refused(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "p.journal.jsonl")
    journal.start("sum1", "apply")
    journal.close()
    with pytest.raises(PlanError, match="belongs to another plan"):
        journal.read("sum2")


# -- a create whose answer is lost -----------------------------------------------------------


class LoseFirstCreateAnswer(httpx.AsyncBaseTransport):
    """The sandbox in process; the answer to the first ``POST /profiles`` is lost on the way
    back (the profile *is* created), as when a connection drops after the server processed it."""

    def __init__(self, db: Path) -> None:
        self.inner = httpx.ASGITransport(app=create_app(SandboxConfig(db_path=db)))
        self.lost = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        if request.method == "POST" and request.url.path.endswith("/profiles") and not self.lost:
            self.lost += 1
            await response.aread()
            raise httpx.RemoteProtocolError("connection dropped", request=request)
        return response


def test_a_create_whose_answer_was_lost_is_found_by_its_owner_identity(tmp_path: Path) -> None:
    transport = LoseFirstCreateAnswer(tmp_path / "sandbox.db")
    desired = DesiredProfile.model_validate({"key": "jane", "email": "jane@example.com"})
    target = TargetProfile.of(Declaration.of(desired), "reconcile")

    async def create() -> tuple[str, int]:
        headers = {"Authorization": f"Bearer {DEFAULT_TOKEN}"}
        async with httpx.AsyncClient(
            base_url="http://sandbox.local/api/v3/", headers=headers, transport=transport
        ) as http:
            client = OmneoClient(http, retry=RetryPolicy(base=0.001))
            created = await Writer(client, owner="reconcile").create(target, target.view)
            listed = await client.find_by_field("email", "jane@example.com")
            return created.id, len(listed)

    profile_id, copies = asyncio.run(create())

    assert transport.lost == 1
    assert profile_id and copies == 1  # found, not created twice


def test_the_reference_states_the_numbers_the_code_uses() -> None:
    reference = (Path(__file__).parent.parent / "docs" / "apply.md").read_text()
    policy = RetryPolicy()
    assert f"up to {policy.attempts} attempts" in reference
    assert f"up to {policy.throttled_attempts} attempts" in reference
    assert f"{policy.base} s doubling, capped at {policy.cap:g} s" in reference
    assert f"never below {MIN_RATE}/s" in reference
    assert f"from {LISTING_FROM} changes on" in reference
    assert f"at most {BATCH_SIZE}" in reference
    assert f"@{TEMPORARY_EMAIL_DOMAIN}" in reference
