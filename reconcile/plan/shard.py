"""What a plan for a selection (a shard, ``--target``) holds of the tenant: only its share.

The listing of managed profiles keeps the selected ones (typed and held as each page arrives)
and only the keys of the others; a selected declaration renamed from a key outside the selection
has that profile looked up by its owner identity.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Collection

from reconcile.model.declaration import Declaration
from reconcile.model.observed import ObservedProfile
from reconcile.plan.selectors import Selectors
from reconcile.tenant.client import OmneoClient


def selecting(selectors: Selectors, managed: set[str] | None) -> Callable[[str], bool] | None:
    """For a selection: which listed keys to hold (the selected ones); each key listed is noted
    in ``managed`` (keys only: the whole tenant's profiles would not fit a shard's memory)."""
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
    managed: Collection[str],
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
