"""What applying a plan will cost: requests, and time at the tenant's rate limit.

Counted from the plan's changes the way apply writes them (``apply/writes.py``): each change is
read again just before its first write (a create is not), then every field goes through the
endpoint that owns it. Creates and adoptions can instead go through ``POST /profiles/batch`` in
chunks of 500 (``apply/bulk.py``), checked afterwards by planning again; apply takes that path by
itself when it costs fewer requests, and the estimate here is the one it decides by.

>>> cost = ApplyCost(requests=20_012, rps=100, engine="per-profile", one_by_one=20_012)
>>> cost.describe()
'apply: ≈ 20,012 requests, ≈ 3 min 20 s at 100/s'
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from typing import Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field, computed_field

from reconcile.model.fields import SCALAR_FIELDS
from reconcile.plan.diff import FieldChange

PAGE_SIZE = 500  # a listing page (identities with their profiles), as the client asks for
BATCH_SIZE = 500  # items per POST /profiles/batch
BATCH_FROM = 20  # fewer creates and adoptions than this go one by one: a batch is queued
LISTING_FROM = 50  # from this many changes on, apply verifies through one listing
LOCK_REQUESTS = 3  # look for the apply lock, take it, remove it
SEEDED = ("create", "adopt")
_BODY_FIELDS = frozenset((*SCALAR_FIELDS, "tags"))
_POSITION = re.compile(r"addresses\[(\d+)\]")
# Bounds that keep every figure of a cost finite, also when read from an edited plan file: a
# trillion requests, and a pace between one request in 11 days and a billion a second.
MAX_REQUESTS = 10**12
MIN_RPS = 1e-6
MAX_RPS = 1e9

Engine = Literal["per-profile", "batch"]


class ApplyCost(BaseModel):
    """Requests ``apply`` will send for a plan, and how long they take at ``rps``."""

    model_config = ConfigDict(frozen=True)

    requests: int = Field(ge=0, le=MAX_REQUESTS)
    rps: float = Field(ge=MIN_RPS, le=MAX_RPS)
    engine: Engine
    # requests with every change written one profile at a time
    one_by_one: int = Field(ge=0, le=MAX_REQUESTS)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def seconds(self) -> float:
        """The requests at the tenant's rate, to a tenth of a second."""
        return round(self.requests / self.rps, 1)

    def describe(self) -> str:
        """One line for a report: requests, time at the tenant's rate, and the engine."""
        line = (
            f"apply: ≈ {self.requests:,} request{'s' if self.requests != 1 else ''}, "
            f"{duration(self.seconds)} at {self.rps:,g}/s"
        )
        if self.engine == "batch":
            line += (
                f" (creates and adoptions through /profiles/batch; one by one: "
                f"≈ {self.one_by_one:,} requests)"
            )
        return line


class Counted(Protocol):
    """A change as the estimate needs it (a plan's ``Change``): its action and its fields."""

    @property
    def action(self) -> str: ...

    @property
    def fields(self) -> tuple[FieldChange, ...]: ...


def estimate(
    changes: Sequence[Counted],
    *,
    managed: int,
    rps: float,
    batch: bool = True,
    threshold: float = 0.30,
    threshold_floor: int = 10,
    registers: bool = False,
) -> ApplyCost:
    """The cost of applying ``changes`` to a tenant managing ``managed`` profiles at ``rps``;
    ``batch``: whether apply may take the batch path by itself (not on a production tenant);
    the safety threshold and floor decide whether apply counts the managed profiles;
    ``registers``: whether apply registers its owner handle (one request: tenant/owners.py)."""
    rps = min(max(rps, MIN_RPS), MAX_RPS)  # reconcile.toml allows any rate above 0
    counting = _count_matters(changes, threshold, threshold_floor)
    overhead = LOCK_REQUESTS + registers + _verify_requests(changes, managed, listing=counting)
    one_by_one = overhead + sum(change_requests(change) for change in changes)
    seeded = [change for change in changes if change.action in SEEDED]
    if not batch or len(seeded) < BATCH_FROM:
        return ApplyCost(requests=one_by_one, rps=rps, engine="per-profile", one_by_one=one_by_one)
    others = [change for change in changes if change.action not in SEEDED]
    batched = (
        overhead
        + sum(change_requests(change) for change in others)
        + batch_requests(len(seeded), adoptions=sum(c.action == "adopt" for c in seeded))
        + _pages(managed + len(seeded)) * 2  # the checking plan, and the owner listing
    )
    if batched < one_by_one:
        return ApplyCost(requests=batched, rps=rps, engine="batch", one_by_one=one_by_one)
    return ApplyCost(requests=one_by_one, rps=rps, engine="per-profile", one_by_one=one_by_one)


def change_requests(change: Counted) -> int:
    """Requests the per-profile engine sends for one change (no retries)."""
    if change.action in ("delete", "purge"):
        return 2  # read again, then remove
    names = {field.field for field in change.fields}
    if change.action == "create":
        # the POST carries scalars, tags and identities; the rest follows it
        return 1 + _writes(names - _BODY_FIELDS, change.fields, carried=True)
    restore = 1 if change.action == "restore" else 0
    return 1 + restore + _writes(names, change.fields, carried=False)


def batch_requests(seeded: int, *, adoptions: int = 0) -> int:
    """Creates and adoptions through the batch endpoint: a submit and a status read per chunk,
    and an owner identity per adoption (so that the batch matches the profile)."""
    chunks = math.ceil(seeded / BATCH_SIZE)
    return chunks * 2 + adoptions


def duration(seconds: float) -> str:
    """``≈ 3 min 20 s``, ``≈ 12 s``, ``≈ 2 h 5 min``, ``under 1 s``.

    >>> duration(200), duration(0.2), duration(7500)
    ('≈ 3 min 20 s', 'under 1 s', '≈ 2 h 5 min')
    """
    whole = round(seconds)
    if whole < 1:
        return "under 1 s"
    if whole < 60:
        return f"≈ {whole} s"
    if whole < 3600:
        minutes, rest = divmod(whole, 60)
        return f"≈ {minutes} min {rest} s" if rest else f"≈ {minutes} min"
    hours, rest = divmod(round(seconds / 60), 60)
    return f"≈ {hours} h {rest} min" if rest else f"≈ {hours} h"


def _writes(names: set[str], fields: Iterable[FieldChange], *, carried: bool) -> int:
    body = not carried and bool(names & _BODY_FIELDS)
    dated = any(name.startswith("dates.") for name in names)
    identities = sum(name.startswith("identities.") for name in names) if not carried else 0
    comms = any(name.startswith("attributes.comms.") for name in names)
    custom = sum(name.startswith("custom_attributes.") for name in names)
    return int(body or dated) + identities + int(comms) + custom + _address_requests(fields)


def _address_requests(fields: Iterable[FieldChange]) -> int:
    """A read of the list, then a write per position that differs (or is added, or removed)."""
    positions: set[int] = set()
    for field in fields:
        if field.field != "addresses":
            continue
        found = _POSITION.match(field.path)
        if found:
            positions.add(int(found.group(1)))
            continue
        lengths = [len(v) if isinstance(v, list) else 0 for v in (field.before, field.after)]
        positions.update(range(max(lengths)))
    return 1 + len(positions) if positions else 0


def _verify_requests(changes: Sequence[Counted], managed: int, *, listing: bool) -> int:
    """Apply reads what a plan touches before writing: one listing for a large plan (or one
    whose safety depends on how many profiles are managed), else a lookup of each change's key
    (a create's too: is it taken?); soft-deleted profiles through their own listing."""
    deleted = 1 if any(change.action in ("restore", "purge") for change in changes) else 0
    if listing or len(changes) > LISTING_FROM:
        return _pages(managed) + deleted
    return len(changes) + deleted


def _count_matters(changes: Sequence[Counted], threshold: float, floor: int) -> bool:
    """As ``apply/trust.count_matters``: can the number of managed profiles decide safety?"""
    updates = sum(change.action in ("update", "rename") for change in changes)
    removals = sum(change.action in ("delete", "purge") for change in changes)
    return max(updates, removals) / max(floor, updates, removals, 1) > threshold


def _pages(profiles: int) -> int:
    return max(1, math.ceil(profiles / PAGE_SIZE))
