"""Client-side pacing: a token bucket that a 429 slows down, and backoff with jitter.

Pure logic with an injectable clock, so it is tested without sleeping; ``client.py`` uses it for
every request.

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

# After a 429 the rate halves, down to this floor; each success wins back a small share of it.
MIN_RATE = 0.5
SLOW_DOWN = 0.5
RECOVERY = 1.05


class TokenBucket:
    """At most ``rate`` requests per second on average, with bursts of ``burst``.

    ``slow_down`` (on a 429) halves the rate and holds every caller until ``Retry-After`` has
    passed; ``recover`` (on a success) raises the rate again, never above the configured one.
    """

    def __init__(
        self,
        rate: float,
        *,
        burst: float | None = None,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.configured_rate = rate
        self.rate = rate
        self.capacity = burst if burst is not None else max(1.0, min(rate, 10.0))
        self._clock = clock
        self._sleep = sleep
        self._tokens = self.capacity
        self._stamp = clock()
        self._paused_until = 0.0
        self._lock = asyncio.Lock()

    def _refill(self) -> float:
        now = self._clock()
        self._tokens = min(self.capacity, self._tokens + (now - self._stamp) * self.rate)
        self._stamp = now
        return now

    def wait_time(self) -> float:
        """Seconds until a token is available (0 if one is available now); takes nothing."""
        now = self._refill()
        paused = max(0.0, self._paused_until - now)
        short = max(0.0, 1.0 - self._tokens) / self.rate
        return max(paused, short)

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

    def slow_down(self, pause: float = 0.0) -> None:
        """A 429 arrived: halve the rate and hold everyone for ``pause`` seconds.

        Answers to requests sent before the pause began belong to the same burst: they extend
        the pause but do not halve the rate again.
        """
        now = self._refill()
        if now >= self._paused_until:
            self.rate = max(MIN_RATE, self.rate * SLOW_DOWN)
        self._tokens = min(self._tokens, 0.0)
        self._paused_until = max(self._paused_until, now + pause)

    def recover(self) -> None:
        """A request succeeded: win back some of the rate a 429 took."""
        self.rate = min(self.configured_rate, self.rate * RECOVERY)


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
