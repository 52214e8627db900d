"""Progress of an apply, as a value the CLI renders (a bar on a terminal, plain lines otherwise).

>>> progress = Progress(total=4)
>>> progress.note("create", ok=True)
>>> progress.note("update", ok=False)
>>> progress.finished, progress.failed, dict(progress.done)
(2, 1, {'create': 1})
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field


@dataclass
class Progress:
    """Counts of finished changes per action, with the rate and the time left at that rate."""

    total: int
    done: Counter[str] = field(default_factory=Counter)
    failed: int = 0
    started: float = field(default_factory=time.monotonic)

    def note(self, action: str, *, ok: bool) -> None:
        if ok:
            self.done[action] += 1
        else:
            self.failed += 1

    @property
    def finished(self) -> int:
        return sum(self.done.values()) + self.failed

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.started

    @property
    def rate(self) -> float:
        """Changes finished per second so far."""
        elapsed = self.elapsed
        return self.finished / elapsed if elapsed > 0 else 0.0

    @property
    def eta(self) -> float | None:
        """Seconds left at the current rate; None until something has finished."""
        rate = self.rate
        return (self.total - self.finished) / rate if rate > 0 else None
