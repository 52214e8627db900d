"""What a plan for a selection (a shard, ``--target``) holds of the tenant: only its share.

The listing of managed profiles keeps the selected ones (typed and held as each page arrives)
and only the keys of the others; a selected declaration renamed from a key outside the selection
has that profile looked up by its owner identity.
"""

from __future__ import annotations

import asyncio
from array import array
from bisect import bisect_left
from collections.abc import Callable, Container

from reconcile.model.declaration import Declaration
from reconcile.model.observed import ObservedProfile
from reconcile.plan.selectors import Selectors
from reconcile.tenant.client import OmneoClient


class ManagedKeys(Container[str]):
    """Every key the tenant manages, for a selection: as 64-bit digests in a sorted array, 8
    bytes a key where a set of the keys took about 100 (a shard of a million-profile tenant
    holds every managed key). ``keys`` holds the keys themselves only when ``--target``
    patterns must be matched against them.

    A key is "in" when its digest is: a false answer has a chance of about one in 10^7 at a
    million keys, and costs at most one lookup, or one conflict of a profile outside the shard
    claiming the same tenant profile left to that shard's plan."""

    def __init__(self, *, with_keys: bool = False) -> None:
        self._digests = array("q")
        self._sorted = True
        self.keys: set[str] | None = set() if with_keys else None

    def add(self, key: str) -> None:
        self._digests.append(hash(key))
        self._sorted = False
        if self.keys is not None:
            self.keys.add(key)

    def __contains__(self, key: object) -> bool:
        if not self._sorted:
            self._digests = array("q", sorted(self._digests))
            self._sorted = True
        digest = hash(key)
        at = bisect_left(self._digests, digest)
        return at < len(self._digests) and self._digests[at] == digest

    def __len__(self) -> int:
        return len(self._digests)


def selecting(selectors: Selectors, managed: ManagedKeys | None) -> Callable[[str], bool] | None:
    """For a selection: which listed keys to hold (the selected ones); each key listed is noted
    in ``managed`` (digests: the whole tenant's profiles would not fit a shard's memory)."""
    if managed is None:
        return None
    selects = selectors.selects

    def keep(key: str) -> bool:
        managed.add(key)
        return selects(key)

    return keep


async def renamed_from(
    client: OmneoClient,
    selected: list[Declaration],
    owned: dict[str, ObservedProfile],
    managed: Container[str],
    owner_handle: str,
) -> None:
    """Add to ``owned`` the managed profiles outside the selection that a selected declaration
    is renamed from (looked up one by one: renames across shards are few)."""
    missing = sorted(
        {
            old
            for profile in selected
            if not profile.is_tombstone
            for old in profile.previous_keys
            if old not in owned and old in managed
        }
    )
    found = await asyncio.gather(*(client.find_by_identity(owner_handle, k) for k in missing))
    for old, profile in zip(missing, found, strict=True):
        if profile is not None:
            owned[old] = profile
