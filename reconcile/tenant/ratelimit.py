"""Client-side pacing parts: a token bucket, backoff with jitter, and ``Retry-After``.

Pure logic with an injectable clock, so it is tested without sleeping; ``client.py`` uses it for
every request, and ``pacing.py`` sets the bucket's rate from the tenant's answers.

>>> bucket = TokenBucket(rate=10.0)
>>> policy = RetryPolicy(attempts=5)
>>> 0 <= policy.delay(3) <= policy.cap
True
>>> parse_retry_after("2")
2.0
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]


class TokenBucket:
    """At most ``rate`` requests per second on average, with bursts of ``burst``.

    ``rate`` may be changed at any time (``pacing.Pacer`` does, from the tenant's answers);
    ``hold`` keeps every caller waiting until a moment has passed (a ``Retry-After`` that
    applies to everyone).
    """

    def __init__(
        self,
        rate: float,
        *,
        burst: float | None = None,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.rate = rate
        self._burst = burst
        self._clock = clock
        self._sleep = sleep
        self._tokens = self.capacity
        self._stamp = clock()
        self._held_until = 0.0
        self._lock = asyncio.Lock()

    @property
    def capacity(self) -> float:
        """The burst: a tenth of a second's worth at most, so a slower rate bursts less."""
        return self._burst if self._burst is not None else max(1.0, min(self.rate, 10.0))

    def _refill(self) -> float:
        now = self._clock()
        since = max(self._stamp, min(now, self._held_until))  # nothing saved up while held
        self._tokens = min(self.capacity, self._tokens + (now - since) * self.rate)
        self._stamp = now
        return now

    def wait_time(self) -> float:
        """Seconds until a token is available (0 if one is available now); takes nothing."""
        now = self._refill()
        held = max(0.0, self._held_until - now)
        short = max(0.0, 1.0 - self._tokens) / self.rate
        return max(held, short)

    def try_take(self) -> float:
        """Take a token and return 0, or return how long to wait before trying again."""
        wait = self.wait_time()
        if wait > 0:
            return wait
        self._tokens -= 1.0
        return 0.0

    async def acquire(self) -> None:
        """Wait for a token. Callers are served one at a time, so none starves."""
        async with self._lock:
            while (wait := self.try_take()) > 0:
                await self._sleep(wait)

    def hold(self, until: float) -> None:
        """Nobody gets a token before ``until`` (the clock's time); no burst after it either."""
        self._refill()
        self._tokens = min(self._tokens, 0.0)
        self._held_until = max(self._held_until, until)


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to retry: exponential backoff with jitter, capped.

    ``attempts`` bounds 5xx and connection errors; a 429 (a request the API did not process)
    may be retried up to ``throttled_attempts`` times.
    """

    attempts: int = 8
    throttled_attempts: int = 30
    base: float = 0.2
    cap: float = 10.0
    rng: random.Random = field(default_factory=random.Random, compare=False, repr=False)

    def delay(self, attempt: int) -> float:
        """Seconds to wait before attempt ``attempt + 1`` (``attempt`` counts from 1)."""
        ceiling = min(self.cap, self.base * (2 ** max(0, attempt - 1)))
        return self.rng.uniform(ceiling / 2, ceiling)


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds or an HTTP date); None if absent."""
    if not value:
        return None
    text = value.strip()
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(text).timestamp()
    except (TypeError, ValueError):
        return None
    return max(0.0, when - (time.time() if now is None else now))
