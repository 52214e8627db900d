"""What one cycle did, as the history, the metrics, the page and the notifications see it."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

# in-sync: nothing to do; drifted: reported, not written; healed: applied in full;
# failed: an error, or an apply with failures; skipped: another apply held the lock;
# stopped: the agent stopped during an apply (the next start resumes it)
Outcome = Literal["in-sync", "drifted", "healed", "failed", "skipped", "stopped"]
State = Literal["unknown", "in sync", "drifted", "healing", "failing"]
# Each outcome's state; a skipped cycle leaves the state as it was.
STATE_OF: dict[Outcome, State] = {
    "in-sync": "in sync",
    "drifted": "drifted",
    "healed": "in sync",
    "failed": "failing",
    "stopped": "healing",
}


class CycleRecord(BaseModel):
    """One cycle of one tenant. Texts shown to people are masked (rendered by the report code)."""

    model_config = ConfigDict(frozen=True)

    id: int = 0
    tenant: str
    started_at: str  # UTC, ISO 8601
    duration: float
    commit: str | None = None  # the commit reconciled (the last good one if a newer was rejected)
    rejected: str | None = None  # a newer commit that failed validate
    problems: tuple[str, ...] = ()  # what validate found in the rejected commit
    outcome: Outcome
    summary: str = ""
    drift: dict[str, int] = {}  # the plan's counts by action, plus withheld and conflicts
    applied: int = 0
    apply_failed: int = 0
    error: str | None = None
    permanent: bool = False  # the error cannot go away by retrying (bad token, bad config)
    lock_waited: float = 0.0
    lock_holder: str | None = None
    plan_file: str | None = None  # a stopped apply's plan, resumed on the next start
    report: str = ""  # the plan as text, masked
    api_calls: int = 0
    api_retries: int = 0
    api_throttled: int = 0

    @property
    def succeeded(self) -> bool:
        return self.outcome in ("in-sync", "drifted", "healed")

    def line(self, *, with_rejection: bool = True) -> str:
        """The one line the agent prints for this cycle (with the rejected commit's first
        problem, unless it was said before)."""
        commit = (self.commit or "-")[:12]
        said = self.error or self.summary
        extra = ""
        if self.rejected and with_rejection and self.commit is not None:
            first = self.problems[0] if self.problems else ""
            extra = f"; commit {self.rejected[:12]} rejected, fails validate: {first}"
            extra += f" (+{len(self.problems) - 1} more)" if len(self.problems) > 1 else ""
        return f"{self.tenant} @ {commit}: {self.outcome} in {self.duration:.1f}s: {said}{extra}"
