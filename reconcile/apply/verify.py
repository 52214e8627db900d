"""Before anything is written: is the reviewed plan still the truth, and may it run?

Re-reads nothing but the profiles the plan touches (for a large plan, through one paginated
listing of the owner handle; soft-deleted ones, which reads by id do not reach, through the
listing of deleted profiles when the plan restores or purges). A plan is stale when profiles.d/
changed (its digest) or a touched tenant profile changed (its fingerprint); the message names the
keys that moved. Deletes, purges and unsafe plans need the flags they were planned with.

>>> observed = await verify_plan(plan, declared, client, allow_delete=True)   # doctest: +SKIP
"""

from __future__ import annotations

import asyncio

from reconcile.apply.journal import JournalState
from reconcile.errors import ConflictError, StalePlanError, UnsafePlanError
from reconcile.model.observed import ObservedProfile
from reconcile.plan.value import Change, Plan
from reconcile.profiles.loader import DeclaredProfiles
from reconcile.tenant.client import OmneoClient

# From this many changes on, one listing of the owner handle is cheaper than a read per profile.
LISTING_FROM = 50


async def verify_plan(
    plan: Plan,
    declared: DeclaredProfiles,
    client: OmneoClient,
    *,
    allow_delete: bool = False,
    allow_purge: bool = False,
    force: bool = False,
    journal: JournalState | None = None,
) -> dict[str, ObservedProfile]:
    """Refuse a plan that is stale or unsafe; return the re-fetched profiles it touches.

    With ``journal`` (a resume), changes the journal shows done are skipped, and profiles it
    shows started are accepted as they are now: their fingerprints moved because of us.
    """
    _check_flags(plan, allow_delete=allow_delete, allow_purge=allow_purge, force=force)
    if plan.inputs_digest != declared.digest:
        raise StalePlanError(
            "profiles.d/ changed since the plan was made; run `reconcile plan` again"
        )
    state = journal or JournalState()
    pending = [c for c in plan.changes if c.key not in state.succeeded]
    known = await _Known.fetch(
        client,
        plan.owner_handle,
        listing=len(pending) > LISTING_FROM,
        deleted=any(c.action in ("restore", "purge") for c in pending),
    )
    current = await asyncio.gather(
        *(_current(known, c, touched=c.key in state.touched) for c in pending)
    )
    moved = sorted(c.key for c, (ok, _) in zip(pending, current, strict=True) if not ok)
    if moved:
        names = ", ".join(moved[:20]) + (f" and {len(moved) - 20} more" if len(moved) > 20 else "")
        raise StalePlanError(
            f"the tenant changed since the plan was made ({names}); run `reconcile plan` again"
        )
    return {
        c.key: observed
        for c, (_, observed) in zip(pending, current, strict=True)
        if observed is not None
    }


def _check_flags(plan: Plan, *, allow_delete: bool, allow_purge: bool, force: bool) -> None:
    if plan.conflicts and not plan.allow_conflicts:
        raise ConflictError(
            f"the plan has {len(plan.conflicts)} conflicts: resolve them and plan again, or plan "
            "with --allow-conflicts to apply the rest"
        )
    if plan.count("delete") and not allow_delete:
        raise UnsafePlanError("the plan deletes profiles: pass --allow-delete to apply it")
    if plan.count("purge") and not allow_purge:
        raise UnsafePlanError("the plan purges profiles: pass --allow-purge to apply it")
    if plan.unsafe and not force:
        raise UnsafePlanError(f"the plan is unsafe ({'; '.join(plan.unsafe)}): pass --force")


class _Known:
    """Where touched profiles are read from: one listing of the owner handle's identities for a
    large plan (a few requests instead of one per profile), else a lookup per profile."""

    def __init__(
        self,
        client: OmneoClient,
        owner: str,
        by_key: dict[str, ObservedProfile] | None,
        deleted: list[ObservedProfile],
    ) -> None:
        self.client = client
        self.owner = owner
        self.by_key = by_key
        self.by_id = {p.id: p for p in (*(by_key or {}).values(), *deleted)}

    @classmethod
    async def fetch(
        cls, client: OmneoClient, owner: str, *, listing: bool, deleted: bool
    ) -> _Known:
        """``deleted``: also list the soft-deleted profiles (a read by id answers 404 for them)."""
        gone = await client.list_deleted_profiles() if deleted else []
        if not listing:
            return cls(client, owner, None, gone)
        owned = await client.list_identities(owner)
        return cls(client, owner, {o.identifier: o.profile for o in owned}, gone)

    async def owned(self, key: str) -> ObservedProfile | None:
        if self.by_key is not None:
            return self.by_key.get(key)
        return await self.client.find_by_identity(self.owner, key)

    async def profile(self, profile_id: str) -> ObservedProfile | None:
        found = self.by_id.get(profile_id)  # adoptions are not owned yet: read them one by one
        return found if found is not None else await self.client.get_profile(profile_id)


async def _current(
    known: _Known, change: Change, *, touched: bool
) -> tuple[bool, ObservedProfile | None]:
    if change.action == "create":
        existing = await known.owned(change.key)
        return existing is None or touched, existing
    observed = await known.profile(change.profile_id or "")
    if touched:
        return True, observed
    ok = observed is not None and observed.fingerprint() == change.fingerprint
    return ok, observed
