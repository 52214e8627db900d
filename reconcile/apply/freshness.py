"""Is a profile still as the plan saw it, just before apply first writes it? (No lost update.)

A change to a tenant profile is written only if the profile is still as apply's verification
found it; one that moved is reported (``changed on the tenant since the plan``) and left alone.
How the profile is read again before its first write:

- ``strict``: by id, right before each change (``GET /profiles/{id}``): one request a change;
- otherwise by **chunks**: one paginated listing of the owner handle's profiles
  (``GET /identities?filter[handle]=…&include=profile``, and the listing of soft-deleted profiles
  when a restore or a purge waits) serves the next ``chunk`` changes to start, for at most
  ``window`` seconds; then the next change to start reads it again. A profile edited on the tenant
  after that listing read it and before its write is the window left open (``docs/apply.md``).

Chunks are taken only when they cost fewer requests than a read per change (a small plan on a
large tenant is read change by change). A profile the listing does not show as this project's
(an adoption) is read by id.

>>> fresh = Freshness(client, "reconcile", changes=1_000, managed=10_000)   # doctest: +SKIP
>>> profile = await fresh.confirm(change, baseline)                        # doctest: +SKIP
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from reconcile.errors import ProfileMovedError
from reconcile.model.observed import ObservedProfile
from reconcile.plan.cost import CHUNK, WINDOW  # one listing serves this many changes, seconds
from reconcile.plan.value import Change
from reconcile.tenant.client import PAGE_SIZE, OmneoClient

_REMOVALS = ("delete", "purge")


@dataclass
class _Listing:
    """The owner handle's profiles (and the soft-deleted ones, if read) as listed at ``taken``."""

    taken: float
    by_id: dict[str, ObservedProfile]
    deleted: bool
    served: int = 0


class Freshness:
    """Reads touched profiles again before their first write: by id (``strict``) or by chunks."""

    def __init__(
        self,
        client: OmneoClient,
        owner: str,
        *,
        changes: int,
        managed: int,
        deleted: bool = False,
        strict: bool = False,
        chunk: int = CHUNK,
        window: float = WINDOW,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """``changes``: changes to existing profiles that will ask; ``managed``: the profiles
        the owner listing holds (about); ``deleted``: some change restores or purges a
        soft-deleted profile, which only the listing of deleted profiles shows."""
        self.client = client
        self.owner = owner
        self.chunk = chunk
        self.window = window
        self.clock = clock
        self.deleted = deleted
        self.left = changes
        self.pages = _pages(managed) + int(deleted)
        self.strict = strict or not self._listing_pays()
        self.listings = 0  # listings taken, for the tests and the cost estimate's checks
        self._listing: _Listing | None = None
        self._lock = asyncio.Lock()

    async def confirm(self, change: Change, baseline: ObservedProfile) -> ObservedProfile:
        """The profile as it is now, if it is still ``baseline`` (a soft-deleted one awaiting a
        removal or a restore: ``baseline``); else :class:`ProfileMovedError`."""
        self.left -= 1
        listing = None if self.strict else await self._current()
        if listing is not None and self._covers(listing, baseline, change):
            fresh = listing.by_id.get(baseline.id)
        else:
            fresh = await self.client.get_profile(baseline.id)
        return judge(change, baseline, fresh)

    def _covers(self, listing: _Listing, baseline: ObservedProfile, change: Change) -> bool:
        """Whether the listing would show the profile: it is this project's, or soft-deleted
        with the deleted ones listed."""
        if baseline.deleted:
            return listing.deleted
        return baseline.identifier(self.owner) == change.key

    async def _current(self) -> _Listing | None:
        async with self._lock:
            listing = self._listing
            stale = (
                listing is None
                or listing.served >= self.chunk
                or self.clock() - listing.taken >= self.window
            )
            if stale:
                if listing is not None and not self._listing_pays():
                    self.strict = True  # the few changes left are cheaper read one by one
                    return None
                listing = self._listing = await self._take()
            assert listing is not None
            listing.served += 1
            return listing

    async def _take(self) -> _Listing:
        taken = self.clock()
        owned = await self.client.list_identities(self.owner)
        by_id = {o.profile.id: o.profile for o in owned}
        if self.deleted:
            by_id.update({p.id: p for p in await self.client.list_deleted_profiles()})
        self.listings += 1
        self.pages = _pages(len(owned)) + int(self.deleted)
        return _Listing(taken=taken, by_id=by_id, deleted=self.deleted)

    def _listing_pays(self) -> bool:
        """A listing per chunk costs fewer requests than a read per change still to come."""
        left = max(self.left, 0)
        return left > 0 and math.ceil(left / self.chunk) * self.pages < left


def judge(
    change: Change, baseline: ObservedProfile, fresh: ObservedProfile | None
) -> ObservedProfile:
    """``fresh`` if it is ``baseline`` still; ``baseline`` for a removal or a restore of a profile
    that cannot be read (soft-deleted, before or now); else :class:`ProfileMovedError`."""
    if fresh is None and (baseline.deleted or change.action in _REMOVALS):
        return baseline
    if fresh is None or fresh.fingerprint() != baseline.fingerprint():
        now = "gone from" if fresh is None else "changed on"
        raise ProfileMovedError(f"{now} the tenant since the plan; re-plan")
    return fresh


def _pages(profiles: int) -> int:
    return max(1, math.ceil(profiles / PAGE_SIZE))
