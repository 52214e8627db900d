"""Adaptive pacing: find the tenant's real rate limit from its 429s, and ignore the scattered ones.

A 429 can mean two things. Either we send faster than the tenant allows (a *real* limit: slowing
down makes the 429s stop), or the tenant sheds a share of requests whatever our rate (*scattered*
429s: slowing down changes nothing and only costs throughput). The pacer tells them apart by
experiment, one window of answers at a time (at least a second and 20 answers):

- **Each throttled request waits its own ``Retry-After``** (the client does that) and is sent
  again; the other requests go on.
- **A 429 that is news cuts at once**, without waiting for a window: the run's first, or one
  after 20 answers without any while no scattered share is known. A tenant's limit allows a
  burst, so the first 429 comes only when that burst is spent, with the client possibly far over
  the limit, and while a window fills every request over it is answered 429. The run's first
  429 halves the rate actually sent; a later one cuts it by 20%. The next window, from 0.2 s
  after the cut (the tenant's bucket is dry and needs a moment), judges the cut like any other
  (below); if 429s go on after the first halving, they were scattered: the rate comes back at
  once, on the first such 429 (after at least 5 answers, at most a fifth of them 429s), and
  their share becomes the floor. Any cut also drops the tokens saved at the old rate.
- **A window with more 429s than the scattered share explains** cuts the rate (by the excess, at
  least 10%, at most half). If the next window holds no 429, or its share fell beyond chance,
  the limit was real: the rate that was cut becomes the *ceiling*, lowered by at most 10% a cut
  (a few 429s within the floor prove nothing: they may be scattered ones; and a window cut for
  its many 429s is often followed by fewer by chance). If the share stays where it was after a
  second cut, the 429s were scattered: the rate goes back to what it was and the *floor* (the
  share that does not depend on our rate) is measured afresh from those windows. A window that
  sent less than half its rate (most requests waiting out a ``Retry-After``) tests nothing.
- **The floor is pooled**: the windows of the latest experiment that showed the 429s scattered,
  and every quiet window since at a rate it covered (or well below any limit). A window cuts
  only if its share is above the floor by more than chance, the floor's own error counted.
- **429s thick on the ground** (12 or more of the latest 32 answers) mean the tenant is over its
  limit now: everyone waits for the ``Retry-After``, and the rate halves at once, or falls to what
  the tenant let through in the last second if that is less.
- **Windows within the floor climb back**: quickly (10% of the ceiling per second) up to 90% of
  the ceiling, then slowly (1% per second), never above the configured rate. Above the ceiling
  the slow climb is the probe that finds a limit that was raised. While no limit below the
  configured rate was found, the quick climb goes all the way to it.

The client starts at the configured rate, so an apply under the limit never sees a 429 and pays
nothing for the pacer (how it fares against a real limit and against scattered 429s:
``docs/performance.md``). Pure logic with an injectable clock, so it is tested without sleeping.

>>> bucket = TokenBucket(rate=100.0)
>>> pacer = Pacer(bucket)
>>> pacer.answered(sent_at=0.0, throttled=False)
>>> bucket.rate
100.0
"""

from __future__ import annotations

import math
import time
from collections import deque
from dataclasses import dataclass, replace

from reconcile.tenant.ratelimit import Clock, TokenBucket

MIN_RATE = 0.5  # requests per second: the pacer never stops altogether
WINDOW_S = 1.0
WINDOW_ANSWERS = 20
DENSE_COUNT = 12  # this many 429s among ...
DENSE_OF = 32  # ... the latest answers: over the limit now
MIN_CUT, MAX_CUT = 0.1, 0.5
NEAR = 0.9  # the quick climb stops at this share of the ceiling
QUICK, SLOW = 0.1, 0.01  # climb per second, as a share of the ceiling
FLOOR_MAX = 0.2  # a share above this is never treated as scattered
QUIET_FLOOR = 0.01  # with scattered 429s rarer than this, one 429 after quiet answers is news
FIRST_CUT = 0.5  # the run's first 429 halves the rate: we may be far over the limit
LATER_CUT = 0.2  # a later one: the climb since the last cut went past the limit
STARVED = 0.5  # a window that sent less than this share of the rate does not test it
SETTLE_S = 0.2  # answers to requests sent this soon after a cut on news do not judge it
QUIET_RUN = 20  # answers without a 429 before one is news again
GOES_ON = 5  # answers after the first halving, one of them a 429: the 429s were scattered
POOL_MAX = 2000  # answers the scattered share is measured over; older ones weigh half


@dataclass
class _Window:
    """Answers to requests sent at the current rate, counted since ``started``."""

    started: float
    answers: int = 0
    throttled: int = 0
    retry_after: float = 0.0


@dataclass(frozen=True)
class _Cut:
    """A cut under test: the rate before it, and the window of 429s that caused it."""

    rate: float  # before the first cut: what a cut proven needless restores
    share: float
    admitted: float
    throttled: int
    answers: int
    second: bool = False
    last_from: float = 0.0  # the rate the latest cut started from
    first: bool = False  # the run's first cut, made on its first 429


class Pacer:
    """Sets ``bucket``'s rate from the answers; ``answered`` is called once per answer."""

    def __init__(self, bucket: TokenBucket, *, clock: Clock = time.monotonic) -> None:
        self.bucket = bucket
        self.configured = bucket.rate
        self.ceiling = bucket.rate  # where the tenant's limit seems to be
        self.confirmed = bucket.rate  # the ceiling as last confirmed by a cut that helped
        self.floor = 0.0  # the share of 429s that does not depend on our rate
        self.holds = 0  # times everyone was held for a Retry-After
        self._clock = clock
        self._changed_at = clock()  # answers to requests sent before this tell of an older rate
        self._window = _Window(self._changed_at)
        self._cut: _Cut | None = None
        self._admitted: deque[float] = deque()  # times of answers that were not 429s
        self._latest: deque[bool] = deque(maxlen=DENSE_OF)  # which of the latest were 429s
        self._recent: deque[float] = deque()  # times of the answers in the last second
        self._fresh = True  # no 429 yet
        self._quiet = 0  # answers since the latest 429
        # the answers that measure the scattered share (429s, answers): the windows of the
        # latest cut that changed nothing, and the quiet windows since at rates it covers
        self._pool = (0.0, 0.0)
        self._proven = 0.0  # up to this rate, 429s were shown not to depend on it

    @property
    def rate(self) -> float:
        return self.bucket.rate

    def answered(self, sent_at: float, *, throttled: bool, retry_after: float = 0.0) -> None:
        """One answer, to a request sent at ``sent_at`` (the clock's time when it was sent)."""
        now = self._clock()
        self._recent.append(now)
        while self._recent[0] < now - 1.0:
            self._recent.popleft()
        if not throttled:
            self._admitted.append(now)
        quiet = self._quiet  # answers without a 429 before this one
        self._quiet = 0 if throttled else quiet + 1
        if sent_at < self._changed_at:
            return  # sent before the last change: it says nothing about the current rate
        if throttled and self._news(quiet):
            self._sudden(now, quiet)
            return
        window = self._window
        window.answers += 1
        if throttled:
            window.throttled += 1
            window.retry_after = max(window.retry_after, retry_after)
        self._latest.append(throttled)
        if throttled and sum(self._latest) >= DENSE_COUNT:
            self._over_limit(now)
        elif now - window.started >= WINDOW_S and window.answers >= WINDOW_ANSWERS:
            self._close(now)
        elif throttled and (first := self._first_goes_on(window)) is not None:
            self._scattered(now, first)

    # -- decisions -------------------------------------------------------------------------

    def _over_limit(self, now: float) -> None:
        """Over the limit right now: hold everyone for Retry-After and halve the rate."""
        # At most what the tenant let through in the last second: far over a low limit, halving
        # alone would take one Retry-After per halving to get down to it.
        admitted = max(self._admitted_rate(now), 1.0)
        rate = min(self.rate / 2, admitted)
        self.ceiling = self.confirmed = min(self.ceiling, admitted)
        self._proven = min(self._proven, self.confirmed)
        until = now + self._window.retry_after
        self.bucket.hold(until)
        self.holds += 1
        self._cut = None
        self._set_rate(rate, since=until)

    def _first_goes_on(self, window: _Window) -> _Cut | None:
        """The run's first halving, if 429s go on after it at a share that could be scattered:
        that is all its window would show, so it is not waited for."""
        cut = self._cut
        if cut is None or not cut.first or window.answers < GOES_ON:
            return None
        return cut if window.throttled / window.answers <= FLOOR_MAX else None

    def _news(self, quiet: int) -> bool:
        """Is this 429 news? The run's first, or one after ``quiet`` answers without any, with no
        scattered share known and no cut under test: the tenant's bucket has just run dry."""
        if self._cut is not None or self.floor > QUIET_FLOOR:
            return False
        return self._fresh or quiet >= QUIET_RUN

    def _sudden(self, now: float, quiet: int) -> None:
        """Cut at once, without waiting for a window: while the window fills, every request
        sent over the limit is answered 429. The run's first 429 halves the rate (a tenant's
        burst hides how far over we are); a later one cuts it by ``LATER_CUT``. The next window
        judges the cut like any other; the first one is undone at once if 429s go on as before
        (they were scattered)."""
        sent = self._recent_rate(now)
        answers = quiet + 1  # the share it is judged against: one 429 after a quiet run
        self._cut = _Cut(
            rate=self.rate,
            share=1 / answers,
            admitted=sent,
            throttled=1,
            answers=answers,
            second=self._fresh,  # the first cut is undone at once if 429s go on (below)
            last_from=sent,
            first=self._fresh,
        )
        cut = FIRST_CUT if self._fresh else LATER_CUT
        self._fresh = False
        self._set_rate(sent * (1 - cut), since=now)
        # the tenant's bucket is dry and refills slowly: requests sent just after the cut can
        # still be refused, and would make the cut look useless
        self._changed_at = now + SETTLE_S
        self._window = _Window(self._changed_at)

    def _close(self, now: float) -> None:
        window = self._window
        share = window.throttled / window.answers
        admitted = self._admitted_rate(now)
        tolerance = max(0.01, 2 * self._spread(window))
        cut = self._cut
        quiet = share <= self.floor + tolerance
        moved = cut is not None and _differ(cut.throttled, cut.answers, window)
        if cut is not None and cut.first:
            # made on one 429, so no share before it to compare with: under a real limit, half
            # the rate answers no 429 at all; 429s going on (too few to be thick) are scattered
            quiet, moved = window.throttled == 0, False
        if quiet:
            # the cut helped: the limit is real and lies below the rate that was cut
            self._within_floor(now, share, helped=moved and cut is not None and cut.share > share)
        elif cut is not None and not moved and share <= FLOOR_MAX:
            self._unchanged(now, cut, share)
        else:
            excess = min(MAX_CUT, max(MIN_CUT, share - self.floor))
            rate = self._sent_rate(now) * (1 - excess)
            if share - self.floor > 0.05:  # well over: the admitted rate is the better guess
                rate = min(rate, admitted * 0.97)
            # after the run's first cut, a cut proven needless restores the rate from before it
            before = cut.rate if cut is not None and cut.first else self.rate
            self._cut = _Cut(
                before, share, admitted, window.throttled, window.answers, last_from=self.rate
            )
            self._set_rate(rate, since=now)
            return
        self._window = _Window(now)

    def _within_floor(self, now: float, share: float, *, helped: bool) -> None:
        cut, window = self._cut, self._window
        if cut is not None:
            # no 429 at all after a cut, or a difference beyond chance: climb slowly past the
            # rate that was cut (a few 429s within the floor may well be scattered ones, and a
            # slow climb below a limit that is not there costs for nothing); and if the cut made
            # a difference, the limit is real and about what was admitted
            if helped or share == 0:
                self.ceiling = min(self.ceiling, cut.last_from)
            if helped:
                # about what was admitted, but a window picked for its 429s is often followed
                # by fewer by chance (and a cluster of them holds back what is sent): each
                # such cut lowers the ceiling by a step at most
                admitted = max(cut.admitted, self.rate, NEAR * cut.last_from)
                self.ceiling = self.confirmed = min(self.ceiling, admitted)
                self._proven = min(self._proven, self.confirmed)
        self._cut = None
        if self._sent_rate(now) <= max(self._proven, NEAR * self.confirmed):
            # only where 429s were shown not to depend on the rate, or well below any limit,
            # are they surely scattered
            self._measure(window.throttled, window.answers)
        elapsed = now - window.started
        rate = self.rate
        # below a limit that was found, keep a margin; below the rate we were given, none
        near = self.ceiling if self.ceiling >= self.configured else NEAR * self.ceiling
        if rate < near:
            rate = min(near, rate + QUICK * self.ceiling * elapsed)
        else:
            rate += SLOW * self.ceiling * elapsed
        self.bucket.rate = max(MIN_RATE, min(self.configured, rate))
        self.ceiling = max(self.ceiling, self.rate)

    def _unchanged(self, now: float, cut: _Cut, share: float) -> None:
        """The share did not move with the cut: cut once more, then call the 429s scattered."""
        if self._sent_rate(now) < STARVED * self.rate:
            return  # most requests were waiting out a Retry-After: the cut is not tested yet
        if not cut.second:
            self._cut = replace(cut, second=True, last_from=self.rate)
            self._set_rate(self._sent_rate(now) * (1 - MIN_CUT), since=now)
            return
        self._scattered(now, cut)

    def _scattered(self, now: float, cut: _Cut) -> None:
        """The 429s did not depend on the rate: it comes back, and their share is the floor."""
        # the freshest measure of the scattered share: the windows before and after the cuts
        self._pool = (0.0, 0.0)
        self._measure(cut.throttled, cut.answers)
        self._measure(self._window.throttled, self._window.answers)
        self._proven = max(self._proven, cut.rate)
        self._cut = None
        self._set_rate(cut.rate, since=now)

    def _measure(self, throttled: float, answers: float) -> None:
        """Add answers to the measure of the scattered share, and set the floor from it."""
        pooled_throttled, pooled = self._pool
        if pooled + answers > POOL_MAX:  # the tenant's share may change: older answers fade
            pooled_throttled, pooled = pooled_throttled / 2, pooled / 2
        self._pool = (pooled_throttled + throttled, pooled + answers)
        self.floor = min(FLOOR_MAX, self._pool[0] / self._pool[1]) if self._pool[1] else 0.0

    def _spread(self, window: _Window) -> float:
        """The standard error of a window's share against the floor: both are measured (the
        floor over the pooled answers), so both their errors count."""
        pooled_throttled, pooled = self._pool
        if not pooled:
            return math.sqrt(max(self.floor, 0.01) * (1 - self.floor) / window.answers)
        share = max(0.01, (pooled_throttled + window.throttled) / (pooled + window.answers))
        return math.sqrt(share * (1 - share) * (1 / window.answers + 1 / pooled))

    def _set_rate(self, rate: float, *, since: float) -> None:
        rate = max(MIN_RATE, min(self.configured, rate))
        if rate < self.rate:
            # a cut takes effect now: tokens saved at the old rate would go out at once, over
            # the limit the cut is for (simulated ten times over a limit: 37 → 25 answered 429)
            self.bucket.hold(since)
        self.bucket.rate = rate
        self._changed_at = since
        self._window = _Window(since)
        self._latest.clear()

    def _sent_rate(self, now: float) -> float:
        """The rate this window's requests went at: the bucket's, or less when fewer were ready
        (a cut must slow what is really sent, or it proves nothing)."""
        elapsed = max(now - self._window.started, 1e-3)
        return min(self.rate, self._window.answers / elapsed)

    def _recent_rate(self, now: float) -> float:
        """Answers per second in the last second: what was really sent (less than the rate when
        fewer requests were ready), over a shorter span if answers began less than a second ago."""
        span = now - self._recent[0]
        if len(self._recent) < WINDOW_ANSWERS or span <= 0:
            return self.rate  # too few answers yet to tell
        return min(self.rate, len(self._recent) / span)

    def _admitted_rate(self, now: float) -> float:
        """Answers that were not 429s in the last second."""
        while self._admitted and self._admitted[0] < now - 1.0:
            self._admitted.popleft()
        return float(len(self._admitted))


def _differ(throttled: int, answers: int, window: _Window) -> bool:
    """Do two windows' shares of 429s differ by more than chance (two standard errors)?"""
    pooled = max(0.01, (throttled + window.throttled) / (answers + window.answers))
    error = math.sqrt(pooled * (1 - pooled) * (1 / answers + 1 / window.answers))
    return abs(throttled / answers - window.throttled / window.answers) > 2 * error
