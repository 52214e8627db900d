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

A listing is taken only when it costs fewer requests than a read per change: a small plan on a
large tenant is read change by change, and so are the changes of the next ``window`` seconds when
the last listing served fewer changes than it had pages (changes starting slowly, as under heavy
throttling). A profile the listing does not show as this project's (an adoption) is read by id.

>>> fresh = Freshness(client, "reconcile", baselines=profiles, managed=10_000)  # doctest: +SKIP
>>> profile = await fresh.confirm(change, baseline)                        # doctest: +SKIP
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass

from reconcile.errors import ProfileMovedError
from reconcile.model.observed import ObservedProfile
from reconcile.plan.cost import CHUNK, WINDOW  # one listing serves this many changes, seconds
from reconcile.plan.value import Change
from reconcile.tenant.client import PAGE_SIZE, OmneoClient

_REMOVALS = ("delete", "purge")


@dataclass
class _Listing:
    """The touched profiles as the owner listing (and the deleted one, if read) showed them."""

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
        baselines: Collection[ObservedProfile],
        managed: int,
        strict: bool = False,
        chunk: int = CHUNK,
        window: float = WINDOW,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """``baselines``: the profiles, as verified, of the changes that will ask; ``managed``:
        the profiles the owner listing holds (about)."""
        self.client = client
        self.owner = owner
        self.chunk = chunk
        self.window = window
        self.clock = clock
        self.waiting = {profile.id for profile in baselines}
        self.deleted = any(profile.deleted for profile in baselines)
        self.pages = _pages(managed) + int(self.deleted)
        self.strict = strict or not self._listing_pays()
        self.listings = 0  # listings taken, for the tests
        self._listing: _Listing | None = None
        self._direct_until = -math.inf
        self._lock = asyncio.Lock()

    async def confirm(self, change: Change, baseline: ObservedProfile) -> ObservedProfile:
        """The profile as it is now, if it is still ``baseline`` (a soft-deleted one awaiting a
        removal or a restore: ``baseline``); else :class:`ProfileMovedError`."""
        listing = None if self.strict else await self._current()
        self.waiting.discard(baseline.id)
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
        """The listing that serves the next change; ``None``: read it by id."""
        async with self._lock:
            now = self.clock()
            if now < self._direct_until:
                return None
            listing = self._listing
            if listing is not None and listing.served < self.chunk:
                if now - listing.taken < self.window:
                    listing.served += 1
                    return listing
                if listing.served < self.pages:
                    # Changes are starting slowly: a read each costs less than a listing per
                    # window. Read them by id for a window, then try a listing again.
                    self._listing, self._direct_until = None, now + self.window
                    return None
            if not self._listing_pays():
                self.strict = True  # the few changes left are cheaper read one by one
                return None
            listing = self._listing = await self._take()
            listing.served += 1
            return listing

    async def _take(self) -> _Listing:
        taken = self.clock()
        pages, by_id = await self.client.owned_profiles(self.owner, self.waiting)
        if self.deleted:
            by_id.update({p.id: p for p in await self.client.list_deleted_profiles()})
        self.listings += 1
        self.pages = pages + int(self.deleted)
        return _Listing(taken=taken, by_id=by_id, deleted=self.deleted)

    def _listing_pays(self) -> bool:
        """A listing per chunk costs fewer requests than a read per change still to come."""
        left = len(self.waiting)
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
