"""What an apply did: one outcome per change, and the summary a user reads.

>>> ApplyResult(outcomes=()).summary()
'0 applied, 0 failed'
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict


class Outcome(BaseModel):
    model_config = ConfigDict(frozen=True)

    key: str
    action: str
    profile_id: str | None
    status: Literal["ok", "failed"]
    error: str | None = None
    attempt: int = 1


class ApplyResult(BaseModel):
    """Every outcome of one run, plus what an earlier run had done and what was not tried."""

    model_config = ConfigDict(frozen=True)

    outcomes: tuple[Outcome, ...]
    already_done: tuple[str, ...] = ()
    not_attempted: tuple[str, ...] = ()
    api_calls: int = 0
    retries: int = 0
    throttled: int = 0
    # Where the applied plan and its journal are (set by the Project that applied it).
    plan_file: Path | None = None
    journal: Path | None = None
    # Stopped on request before every change was started: resume the plan to finish it.
    stopped: bool = False
    # Which path a profile's parts (identities, comms, custom attributes, addresses, dates)
    # took: inline in the profile's own write, or through their own endpoints (apply/writes.py).
    parts: str | None = None

    @property
    def failed(self) -> tuple[Outcome, ...]:
        return tuple(o for o in self.outcomes if o.status == "failed")

    @property
    def succeeded(self) -> tuple[Outcome, ...]:
        return tuple(o for o in self.outcomes if o.status == "ok")

    @property
    def complete(self) -> bool:
        return not self.failed and not self.not_attempted

    def summary(self) -> str:
        parts = [f"{len(self.succeeded)} applied", f"{len(self.failed)} failed"]
        if self.already_done:
            parts.append(f"{len(self.already_done)} already done")
        if self.not_attempted:
            parts.append(f"{len(self.not_attempted)} not attempted")
        return ", ".join(parts)
