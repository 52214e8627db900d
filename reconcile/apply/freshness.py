"""Is a profile still as the plan saw it, just before apply first writes it? (No lost update.)

A change to a tenant profile is written only if the profile is still as apply's verification
found it; one that moved is reported (``changed on the tenant since the plan``) and left alone.
How the profile is read again before its first write:

- ``strict``: by id, right before each change (``GET /profiles/{id}``): one request a change;
- otherwise by **pages**: one paginated listing of the owner handle's profiles
  (``GET /identities?filter[handle]=…&include=profile``, and the listing of soft-deleted profiles
  when a restore or a purge waits), taken before the first change (:meth:`Freshness.prepare`),
  finds the page of every profile still to check (the verification's own listing does, while it
  is young enough: ``Listed``). A page read serves the changes of its profiles
  that start in the ``window`` seconds after it; a change whose page is older reads that page
  again (one request). The executor runs the changes in the listing's order
  (:meth:`Freshness.position`), so each page is read again about once. A profile edited on the
  tenant after its page was read and before its write is the window left open
  (``docs/apply.md``).

The listing is taken only when it costs fewer requests than a read per change: a small plan on a
large tenant is read change by change. A profile its page does not show (an adoption, not yet
this project's; one that moved to another page) is read by id. Only the profiles still to check
are typed from a page.

>>> fresh = Freshness(client, "reconcile", baselines=profiles, managed=10_000)  # doctest: +SKIP
>>> await fresh.prepare()                                                      # doctest: +SKIP
>>> profile = await fresh.confirm(change, baseline)                            # doctest: +SKIP
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass

from reconcile.errors import ProfileMovedError
from reconcile.model.observed import ObservedProfile
from reconcile.plan.cost import WINDOW  # seconds a page read serves its changes
from reconcile.plan.value import Change
from reconcile.tenant.client import PAGE_SIZE, OmneoClient

_REMOVALS = ("delete", "purge")
DELETED = 0  # the page that stands for the listing of soft-deleted profiles (read whole)
Position = tuple[int, int]  # (page, place on the page) in the owner listing


@dataclass(frozen=True)
class Listed:
    """An owner listing apply read already (its verification: ``gate.py``): when it was asked
    for (``time.monotonic``), and the ids of the profiles on each page, page 1 first."""

    taken: float
    pages: tuple[tuple[str, ...], ...]


@dataclass
class _Page:
    """A page as last read: when it was asked for, and the profiles still to check on it."""

    taken: float
    by_id: dict[str, ObservedProfile]


class Freshness:
    """Reads touched profiles again before their first write: by id (``strict``) or by pages."""

    def __init__(
        self,
        client: OmneoClient,
        owner: str,
        *,
        baselines: Collection[ObservedProfile],
        managed: int,
        strict: bool = False,
        listed: Listed | None = None,
        window: float = WINDOW,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """``baselines``: the profiles, as verified, of the changes that will ask; ``managed``:
        the profiles the owner listing holds (about); ``listed``: the verification's listing,
        whose pages serve as read (they showed ``baselines``) while they are young enough."""
        self.client = client
        self.owner = owner
        self.window = window
        self.clock = clock
        self.baselines = {profile.id: profile for profile in baselines}
        self.waiting = set(self.baselines)
        self.deleted = any(profile.deleted for profile in baselines)
        self.given = listed
        pages = max(1, math.ceil(managed / PAGE_SIZE)) + int(self.deleted)
        # a listing of our own pays when it costs fewer requests than a read per change
        self.strict = strict or (listed is None and pages >= len(self.waiting))
        self.listings = 0  # requests of the owner listing (pages read), for the tests
        self._where: dict[str, Position] = {}
        self._read: dict[int, _Page] = {}
        self._locks: dict[int, asyncio.Lock] = {}
        self._listed = False
        self._lock = asyncio.Lock()

    async def prepare(self) -> None:
        """Take the listing that finds the profiles' pages (once, and only if it pays)."""
        async with self._lock:
            if self.strict or self._listed:
                return
            self._listed = True
            if self.given is not None and self.clock() - self.given.taken < self.window:
                await self._seed(self.given)
                return
            if self.given is not None and self._cost() >= len(self.waiting):
                self.strict = True  # the verification's listing is too old to serve, and
                return  # a listing of our own would cost more than a read per change
            taken = self.clock()
            last, first = await self._owned(1)
            rest = await asyncio.gather(*(self._owned(n) for n in range(2, last + 1)))
            for number, found in enumerate((first, *(found for _, found in rest)), start=1):
                self._keep(number, taken, found)
            if self.deleted:
                self._keep(DELETED, taken, await self._deleted())

    async def _seed(self, listed: Listed) -> None:
        """Take the verification's pages as read when it read them: nothing is asked again."""
        for number, ids in enumerate(listed.pages, start=1):
            found = {i: self.baselines[i] for i in ids if i in self.waiting}
            self._keep(number, listed.taken, found)
        if self.deleted:
            self._keep(DELETED, self.clock(), await self._deleted())

    def _cost(self) -> int:
        """Requests of a listing of our own (as many pages as the verification's)."""
        pages = len(self.given.pages) if self.given is not None else 1
        return max(1, pages) + int(self.deleted)

    def position(self, profile_id: str) -> Position | None:
        """Where the listing showed the profile; ``None``: not listed (or not read by pages)."""
        return self._where.get(profile_id)

    async def confirm(self, change: Change, baseline: ObservedProfile) -> ObservedProfile:
        """The profile as it is now, if it is still ``baseline`` (a soft-deleted one awaiting a
        removal or a restore: ``baseline``); else :class:`ProfileMovedError`."""
        page = None if self.strict else await self._page_of(change, baseline)
        fresh = None if page is None else page.by_id.get(baseline.id)
        self.waiting.discard(baseline.id)
        if fresh is None:  # not on its page (any more): its own read says whether it is gone
            fresh = await self.client.get_profile(baseline.id)
        return judge(change, baseline, fresh)

    async def _page_of(self, change: Change, baseline: ObservedProfile) -> _Page | None:
        """The page that shows the profile, read in the last ``window`` seconds; ``None``: read
        the profile by id."""
        if baseline.deleted:
            number: int | None = DELETED
        elif baseline.identifier(self.owner) == change.key:
            await self.prepare()
            number = self._where.get(baseline.id, (None, 0))[0]
        else:
            return None  # an adoption: not listed as this project's
        if number is None or self.strict:
            return None
        page = self._read.get(number)
        if page is not None and self.clock() - page.taken < self.window:
            return page
        async with self._locks.setdefault(number, asyncio.Lock()):
            page = self._read.get(number)
            if page is None or self.clock() - page.taken >= self.window:  # not read meanwhile
                taken = self.clock()
                page = self._keep(number, taken, await self._again(number))
            return page

    async def _again(self, number: int) -> dict[str, ObservedProfile]:
        return await self._deleted() if number == DELETED else (await self._owned(number))[1]

    async def _owned(self, number: int) -> tuple[int, dict[str, ObservedProfile]]:
        self.listings += 1
        return await self.client.owned_page(self.owner, number, self.waiting)

    async def _deleted(self) -> dict[str, ObservedProfile]:
        listed = await self.client.list_deleted_profiles()
        return {p.id: p for p in listed if p.id in self.waiting}

    def _keep(self, number: int, taken: float, found: dict[str, ObservedProfile]) -> _Page:
        self._read[number] = page = _Page(taken=taken, by_id=found)
        for place, profile_id in enumerate(found):
            self._where[profile_id] = (number, place)
        return page


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
