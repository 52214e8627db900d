"""What a plan for a selection (a shard, ``--target``) holds of the tenant: only its share.

The listing of managed profiles keeps the selected ones (typed and held as each page arrives)
and only the digests of the others' keys; a selected declaration renamed from a key outside the
selection has that profile looked up by its owner identity. Declarations outside the selection
(outlines) claiming the same tenant profile as a selected one are found by their digests.
"""

from __future__ import annotations

import asyncio
from array import array
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Callable, Container, Iterable, Mapping
from typing import Protocol

from reconcile.model.declaration import Declaration
from reconcile.model.fields import UniqueValue
from reconcile.model.observed import ObservedProfile
from reconcile.plan.selectors import Selectors
from reconcile.profiles.uniqueness import Outline, digests_of, value_digest
from reconcile.tenant.client import OmneoClient


class Index(Protocol):
    """What the claims of profiles outside the selection read of the tenant's index."""

    @property
    def profiles(self) -> Mapping[str, ObservedProfile]: ...


class ManagedKeys(Container[str]):
    """Every key the tenant manages, for a selection: as 64-bit digests in a sorted array, 8
    bytes a key where a set of the keys took about 100 (a shard of a million-profile tenant
    holds every managed key). ``keys`` holds the keys themselves only when ``--target``
    patterns must be matched against them.

    A key is "in" when its digest is: asked of previous keys and of outlines claiming a tenant
    profile a selected declaration claims, each answer wrong with a chance of about 5e-14
    at a million keys; a wrong one costs a lookup, or leaves a conflict of a profile outside the
    shard claiming the same tenant profile to that shard's plan."""

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


def add_unselected_claims(
    claims: dict[str, list[tuple[Declaration | Outline, list[str]]]],
    index: Index,
    owned: Container[str],
    unselected: Iterable[Declaration | Outline],
) -> None:
    """Declarations outside the selection that would claim the same profiles (no API calls).

    The claimed profiles are few: their values' digests are looked for in each declaration's,
    and a digest found is confirmed on the real values (an outline reads them again)."""
    wanted: dict[int, list[tuple[str, UniqueValue]]] = defaultdict(list)
    for profile_id in claims:
        for pair in index.profiles[profile_id].unique:
            wanted[value_digest(pair)].append((profile_id, pair))
    if not wanted:
        return
    found: dict[str, dict[str, tuple[Declaration | Outline, list[str]]]] = defaultdict(dict)
    for profile in unselected:
        hits = [held for _, d in digests_of(profile) for held in wanted.get(d, ())]
        if not hits or profile.is_tombstone or profile.key in owned:
            continue
        values = set(profile.unique)
        for profile_id, pair in hits:
            if pair in values:
                found[profile_id].setdefault(profile.key, (profile, []))[1].append(pair[0])
    for profile_id, others in found.items():
        order = [name for name, _ in index.profiles[profile_id].unique]
        for _, names in others.values():
            names.sort(key=order.index)
        claims[profile_id].extend(others[key] for key in sorted(others))


class Present(Container[str]):
    """The keys declared present, gathered when first asked (only a taken value asks): a set
    of every key of a million-profile tree is not held in each shard for nothing."""

    def __init__(self, *groups: list[Declaration] | list[Declaration | Outline]) -> None:
        self._groups: tuple[Iterable[Declaration | Outline], ...] = groups
        self._keys: frozenset[str] | None = None

    def __contains__(self, key: object) -> bool:
        if self._keys is None:
            everyone = (p for group in self._groups for p in group)
            self._keys = frozenset(p.key for p in everyone if not p.is_tombstone)
        return key in self._keys
