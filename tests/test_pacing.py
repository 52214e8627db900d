"""Pacing under 429s: scattered 429s keep most of the rate, a real limit is found and kept.

The client's pacer and token bucket run in simulated time against the sandbox's own rate limiter
(``sandbox/faults.py``), in the order the sandbox applies its faults (the limit, then a random
share of 429s with ``Retry-After: 1``): deterministic, no sleeping, no timing flakes. Each
throttled request waits its ``Retry-After`` and is sent again, as the client does. The real
client against a served sandbox is in ``test_apply_served.py``; figures are in the benchmark.
"""

from __future__ import annotations

import heapq
import math
import random
import statistics
from dataclasses import dataclass, field

import pytest

from reconcile.sandbox.http.faults import TokenBucket as TenantLimit
from reconcile.tenant.pacing import MIN_RATE, Pacer
from reconcile.tenant.ratelimit import TokenBucket


@dataclass
class Clock:
    now: float = 0.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Run:
    """What one simulated run saw: requests sent, answered 429, and done (not 429)."""

    seconds: float
    sent: int = 0
    throttled: int = 0
    done: int = 0
    sent_late: int = 0  # after the first 10 seconds
    throttled_late: int = 0
    throttled_early: int = 0  # sent in the first 5 seconds
    rates: list[float] = field(default_factory=list)

    @property
    def done_per_second(self) -> float:
        return self.done / self.seconds

    @property
    def share_429(self) -> float:
        return self.throttled / self.sent

    @property
    def share_429_late(self) -> float:
        return self.throttled_late / self.sent_late


def simulate(
    rps: float,
    *,
    limit: float | None = None,
    scattered: float = 0.0,
    in_flight: int = 16,
    latency: float = 0.02,
    seconds: float = 90.0,
    seed: int = 1,
    stall: float = 0.0,
) -> tuple[Run, Pacer]:
    """``in_flight`` workers with endless work, the client paced at ``rps``, against a tenant
    with a rate ``limit`` and a ``scattered`` share of random 429s. With ``stall``, the tenant is
    busy in turns of that many seconds: half the requests wait for the end of the turn and reach
    its limiter together (as a loaded machine serves them)."""
    clock = Clock()
    rng = random.Random(seed)
    bucket = TokenBucket(rps, clock=clock)
    pacer = Pacer(bucket, clock=clock)
    tenant = TenantLimit(limit, clock=clock) if limit else None
    run = Run(seconds)
    events: list[tuple[float, int, str, float]] = []
    order = 0

    def at(when: float, kind: str, sent_at: float = 0.0) -> None:
        nonlocal order
        order += 1
        heapq.heappush(events, (when, order, kind, sent_at))

    for _ in range(in_flight):
        at(0.0, "ready")
    while events:
        when, _, kind, sent_at = heapq.heappop(events)
        if when > seconds:
            break
        clock.now = when
        if kind == "ready":
            wait = bucket.try_take()
            if wait > 0:
                at(when + max(wait, 1e-6), "ready")  # a real clock moves on
                continue
            run.sent += 1
            run.sent_late += when >= 10
            if stall and rng.random() < 0.5:
                at((math.floor(when / stall) + 1) * stall, "arrive", when)
            else:
                at(when, "arrive", when)
        elif kind == "arrive":
            retry_after = 0.0
            if tenant is not None and (short := tenant.take()) > 0:
                retry_after = max(1, math.ceil(short))
            elif scattered and rng.random() < scattered:
                retry_after = 1.0
            answer = when + latency * rng.uniform(0.9, 1.3)
            at(answer, "throttled" if retry_after else "done", sent_at)
        else:
            throttled = kind == "throttled"
            run.throttled += throttled
            run.throttled_late += throttled and sent_at >= 10
            run.throttled_early += throttled and sent_at < 5
            run.done += not throttled
            pacer.answered(sent_at, throttled=throttled, retry_after=1.0)
            run.rates.append(bucket.rate)
            # a throttled request waits its Retry-After (1 s, and up to 20% more) and goes again
            at(when + (rng.uniform(1.0, 1.2) if throttled else 0.0), "ready")
    return run, pacer


@pytest.mark.parametrize("seed", range(1, 21))
def test_scattered_429s_keep_most_of_the_rate(seed: int) -> None:
    run, pacer = simulate(100, limit=100, scattered=0.05, seed=seed, seconds=60)

    assert 0.04 < run.share_429 < 0.06  # the tenant's 5% stays 5%: we are not the cause
    # well over half the limit done (the target is 50%), in every run: a few scattered 429s
    # after a cut once passed for a limit, and one run in twenty crawled at 40/s
    assert run.done_per_second >= 70
    assert pacer.holds == 0  # scattered 429s never stop everyone


def test_an_s5_run_of_25_seconds_keeps_nine_tenths_of_the_limit() -> None:
    # S5 in the benchmark: 2,000 creates at the limit, about 25 seconds, where the start weighs a
    # lot. A floor moved by single windows (and only downwards near the limit) settled at 3.5%
    # of a 5% share, so every third window cut for nothing: 88.7 done a second in the median
    # run, 78 in the worst of these 40.
    runs = [simulate(100, limit=100, scattered=0.05, seed=seed, seconds=25) for seed in range(40)]
    done = sorted(run.done_per_second for run, _ in runs)

    assert statistics.median(done) >= 92  # of at most 95: a 429 costs its request
    assert done[0] >= 82
    for run, pacer in runs:
        assert pacer.holds == 0
        assert 0.035 <= pacer.floor <= 0.065  # the scattered share, measured
        assert 0.035 < run.share_429 < 0.065


def test_429s_going_on_after_the_first_halving_bring_the_rate_back_at_once() -> None:
    clock = Clock()
    bucket = TokenBucket(100.0, clock=clock)
    pacer = Pacer(bucket, clock=clock)
    for i in range(1, 11):
        clock.now = i / 100
        pacer.answered(clock.now - 0.02, throttled=False)
    pacer.answered(clock.now - 0.02, throttled=True, retry_after=1.0)  # the run's first
    assert pacer.rate == pytest.approx(50, rel=0.05)

    for i in range(1, 6):  # from 0.2 s after the cut, at the halved rate: 5 answers, one 429
        clock.now = 0.31 + i / 50
        pacer.answered(clock.now - 0.01, throttled=i == 5, retry_after=1.0)

    assert pacer.rate == 100  # a tenth of a second in, not a window later
    assert pacer.floor > 0


def test_the_pace_the_old_bucket_collapsed_to_is_kept_at_ten_percent() -> None:
    run, _ = simulate(100, limit=100, scattered=0.10, seconds=60)

    assert run.done_per_second >= 40


@pytest.mark.parametrize(("rps", "limit"), [(200, 100), (1000, 100), (110, 100), (40, 20)])
def test_over_the_limit_the_rate_converges_to_it_with_few_429s(rps: float, limit: float) -> None:
    run, pacer = simulate(rps, limit=limit, seconds=60)

    assert run.done_per_second >= 0.9 * limit  # the tenant's limit is used
    assert run.share_429_late <= 0.01  # once found, at most 1% of requests are answered 429
    assert run.share_429 <= 0.025  # the first second's overshoot included
    assert pacer.ceiling <= 1.3 * limit


@pytest.mark.parametrize(
    ("rps", "limit", "stall"),
    [(200, 100, 0.0), (110, 100, 0.0), (40, 20, 0.0), (200, 100, 0.1), (110, 100, 0.1)],
)
@pytest.mark.parametrize("seed", [1, 2])
def test_the_first_429s_cut_the_rate_before_a_window_of_them(
    rps: float, limit: float, seed: int, stall: float
) -> None:
    # The tenant's bucket holds a second's worth, so the first 429 comes only when it runs dry,
    # with the client far over the limit: waiting for a window of answers to show it cost a 429
    # for every request over (14 of them at twice the limit, and as many again on the way back).
    run, _ = simulate(rps, limit=limit, seed=seed, seconds=30, stall=stall)

    assert run.throttled_early <= 8
    assert run.share_429 <= 0.01  # the target; at twice the limit the old pacer had 1.3-1.6%
    assert run.done_per_second >= 0.95 * limit


def test_the_first_429_halves_the_rate_sent_before_a_window_closes() -> None:
    clock = Clock()
    bucket = TokenBucket(200.0, clock=clock)
    pacer = Pacer(bucket, clock=clock)
    for i in range(1, 181):  # 0.9 s at 200/s, all admitted: the tenant's burst
        clock.now = i / 200
        pacer.answered(clock.now - 0.02, throttled=False)

    pacer.answered(clock.now - 0.02, throttled=True, retry_after=1.0)  # its bucket ran dry

    assert pacer.rate == pytest.approx(100, rel=0.05)


def test_a_limit_at_the_configured_rate_costs_nothing() -> None:
    run, pacer = simulate(100, limit=100, seconds=30)

    assert run.throttled <= 2
    assert pacer.rate == 100


def test_a_slow_tenant_is_not_pushed_below_the_floor_rate() -> None:
    run, pacer = simulate(50, limit=0.5, in_flight=4, seconds=60)

    assert pacer.rate >= MIN_RATE
    assert run.done_per_second == pytest.approx(0.5, rel=0.2)


def test_the_bucket_holds_everyone_until_a_moment_has_passed() -> None:
    clock = Clock(100.0)
    bucket = TokenBucket(10.0, clock=clock)
    bucket.hold(103.0)
    assert bucket.try_take() == pytest.approx(3.0)
    clock.now = 103.0
    assert bucket.try_take() == pytest.approx(0.1)  # no burst saved up while held
    clock.now = 103.1001
    assert bucket.try_take() == 0.0
