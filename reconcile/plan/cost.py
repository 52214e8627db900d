"""What applying a plan will cost: requests, and time at the tenant's rate limit.

Counted from the plan's changes the way apply writes them (``apply/writes.py``): a create is one
``POST /profiles`` and an update one ``PUT /profiles/{id}``, the profile's parts inline (a tenant
that does not take them inline costs a request more per part written), plus a ``DELETE`` per
identity, custom attribute or date removed. A change to a tenant profile is checked first
(``apply/freshness.py``): by one listing of the owner handle (the verification's, when it read
one), then a page of it read again for the changes that come after its first ``WINDOW`` seconds,
or, where that costs more (or ``strict``), by a read per change. Creates and adoptions can
instead go through ``POST /profiles/batch`` in chunks of 500 (``apply/bulk.py``), checked
afterwards by planning again; apply takes that path by itself when it costs fewer requests, and
the estimate here is the one it decides by.

>>> cost = ApplyCost(requests=20_012, rps=100, engine="per-profile", one_by_one=20_012)
>>> cost.describe()
'apply: ≈ 20,012 requests, ≈ 3 min 20 s at 100/s'
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field, computed_field

from reconcile.plan.diff import FieldChange

PAGE_SIZE = 500  # a listing page (identities with their profiles), as the client asks for
BATCH_SIZE = 500  # items per POST /profiles/batch
BATCH_FROM = 20  # fewer creates and adoptions than this go one by one: a batch is queued
LISTING_FROM = 50  # from this many changes on, apply verifies through one listing
LOCK_REQUESTS = 3  # look for the apply lock, take it, remove it
# Seconds a page read serves its changes (apply/freshness.py). The issue allows a window of
# 10 s at 100 requests/s; this leaves room for the first listing's own reading and the write's
# wait behind the requests in flight (docs/apply.md).
WINDOW = 8.0
SEEDED = ("create", "adopt")
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
    strict: bool = False,
) -> ApplyCost:
    """The cost of applying ``changes`` to a tenant managing ``managed`` profiles at ``rps``;
    ``batch``: whether apply may take the batch path by itself (not on a production tenant);
    the safety threshold and floor decide whether apply counts the managed profiles;
    ``registers``: whether apply registers its owner handle (one request: tenant/owners.py);
    ``strict``: a read before every write (``apply --strict``)."""
    rps = min(max(rps, MIN_RPS), MAX_RPS)  # reconcile.toml allows any rate above 0
    counting = _count_matters(changes, threshold, threshold_floor)
    listed = counting or len(changes) > LISTING_FROM  # verification reads one listing
    overhead = LOCK_REQUESTS + registers + _verify_requests(changes, managed, listing=listed)
    overhead += check_requests(changes, managed, rps=rps, strict=strict, listed=listed)
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
    """Requests the per-profile engine sends for one change (no retries, no check)."""
    if change.action in ("delete", "purge"):
        return 1
    restore = 1 if change.action == "restore" else 0
    return 1 + restore + _removals(change.fields)


def check_requests(
    changes: Sequence[Counted],
    managed: int,
    *,
    rps: float,
    strict: bool = False,
    listed: bool = False,
) -> int:
    """Requests that check the changed tenant profiles just before their writes: one listing of
    the owner handle (none when the verification read one: ``listed``; none either, but a read
    per change, when a listing would cost more), then a page read again per ``PAGE_SIZE``
    changes (or per ``WINDOW`` seconds of them at ``rps``, if fewer) after the changes of the
    listing's first ``WINDOW`` seconds; and a read per adoption (not listed as ours). Exact when
    the changes touch whole pages in the listing's order, as apply runs them."""
    existing = [change for change in changes if change.action != "create"]
    if strict:
        return len(existing)
    adoptions = sum(change.action == "adopt" for change in existing)
    deleted = int(any(change.action in ("restore", "purge") for change in existing))
    listing = deleted if listed else _pages(managed) + deleted
    if not listed and listing >= len(existing):
        return len(existing)
    per_window = max(1, math.floor(WINDOW * rps))
    later = max(0, len(existing) - adoptions - per_window)
    return listing + math.ceil(later / min(per_window, PAGE_SIZE)) + adoptions


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


def _removals(fields: Iterable[FieldChange]) -> int:
    """A ``DELETE`` per identity or custom attribute set to null, per date removed or moved to
    another relationship (a body cannot carry a removal)."""
    count = 0
    for name in {field.field for field in fields if _removes(field)}:
        count += name.startswith(("identities.", "custom_attributes.", "dates."))
    return count


def _removes(field: FieldChange) -> bool:
    """The whole field goes (``after`` null), or a date moves to another relationship."""
    if field.path == field.field:
        if field.field.startswith("dates.") and isinstance(field.before, dict):
            after = field.after if isinstance(field.after, dict) else {}
            return after.get("relationship") != field.before.get("relationship")
        return field.after is None and field.before is not None
    return field.field.startswith("dates.") and field.path.endswith(".relationship")


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
