"""Before anything is written: is the reviewed plan still the truth, and may it run?

Re-reads nothing but the profiles the plan touches (for a large plan, or one whose safety depends
on how many profiles are managed, through one paginated listing of the owner handle;
soft-deleted ones, which reads by id do not reach, through the listing of deleted profiles when
the plan restores or purges). A plan is stale when profiles.d/ changed (its digest) or a touched
tenant profile changed (its fingerprint); the message names the keys that moved. Deletes, purges
and unsafe plans need the flags they were planned with. What the plan file says is checked, not
trusted (``trust.py``): its shape against the project, each touched profile's owner identity on
the tenant, and its safety recomputed from its changes.

>>> observed = await verify_plan(plan, declared, client, allow_delete=True)   # doctest: +SKIP
"""

from __future__ import annotations

import asyncio

from reconcile.apply.journal import JournalState
from reconcile.apply.trust import (
    ProjectPolicy,
    check_project,
    check_shape,
    count_matters,
    ownership_problem,
    recomputed_unsafe,
)
from reconcile.errors import ConflictError, PlanError, StalePlanError, UnsafePlanError
from reconcile.model.observed import ObservedProfile
from reconcile.plan.cost import LISTING_FROM  # from this many changes on, one listing
from reconcile.plan.value import Change, Plan
from reconcile.profiles.loader import DeclaredProfiles
from reconcile.tenant.client import OmneoClient

_GONE = frozenset({"delete", "purge"})


async def verify_plan(
    plan: Plan,
    declared: DeclaredProfiles,
    client: OmneoClient,
    *,
    allow_delete: bool = False,
    allow_purge: bool = False,
    force: bool = False,
    journal: JournalState | None = None,
    policy: ProjectPolicy | None = None,
) -> dict[str, ObservedProfile]:
    """Refuse a plan that is stale, unsafe or not this project's; return the re-fetched profiles
    it touches.

    With ``journal`` (a resume), changes the journal shows done are skipped, and profiles it
    shows started are accepted as they are now: their fingerprints moved because of us.
    ``policy`` is what the project says (owner handle, threshold); without it the plan's own
    values are trusted, so a library caller applying plans it did not make should pass one.
    """
    policy = policy or ProjectPolicy.trusting(plan)
    check_project(plan, declared, policy)
    check_shape(plan, declared)
    _check_flags(plan, allow_delete=allow_delete, allow_purge=allow_purge, force=force)
    state = journal or JournalState()
    pending = [c for c in plan.changes if c.key not in state.succeeded]
    counting = count_matters(plan, policy)
    known = await _Known.fetch(
        client,
        policy.owner_handle,
        listing=len(pending) > LISTING_FROM or counting,
        deleted=any(c.action in ("restore", "purge") for c in pending),
    )
    current = await asyncio.gather(
        *(_current(known, c, touched=c.key in state.touched) for c in pending)
    )
    _check_owned(pending, current, declared, policy.owner_handle)
    moved = sorted(c.key for c, (ok, _) in zip(pending, current, strict=True) if not ok)
    if moved:
        names = ", ".join(moved[:20]) + (f" and {len(moved) - 20} more" if len(moved) > 20 else "")
        raise StalePlanError(
            f"the tenant changed since the plan was made ({names}); run `reconcile plan` again"
        )
    managed = known.managed(plan, state) if counting else plan.managed
    unsafe = recomputed_unsafe(plan, declared, policy, managed=managed)
    if unsafe and not force:
        raise UnsafePlanError(f"the plan is unsafe ({'; '.join(unsafe)}): pass --force")
    return {
        c.key: observed
        for c, (_, observed) in zip(pending, current, strict=True)
        if observed is not None
    }


def _check_owned(
    pending: list[Change],
    current: list[tuple[bool, ObservedProfile | None]],
    declared: DeclaredProfiles,
    owner: str,
) -> None:
    """Refuse the whole plan if any change names a tenant profile it may not touch."""
    desired = declared.by_key()
    problems = [
        f"{change.action} {change.key}: {problem}"
        for change, (_, observed) in zip(pending, current, strict=True)
        if observed is not None
        and (problem := ownership_problem(change, observed, desired.get(change.key), owner))
    ]
    if problems:
        more = f" (and {len(problems) - 3} more)" if len(problems) > 3 else ""
        raise PlanError(
            f"the plan names tenant profiles it may not touch, so it was edited or is not this "
            f"project's; nothing was written: {'; '.join(problems[:3])}{more}"
        )


def _check_flags(plan: Plan, *, allow_delete: bool, allow_purge: bool, force: bool) -> None:
    if plan.conflicts and not plan.options.allow_conflicts:
        raise ConflictError(
            f"the plan has {len(plan.conflicts)} conflicts: resolve them and plan again, or plan "
            "with --allow-conflicts to apply the rest"
        )
    if plan.count("delete") and not allow_delete:
        raise UnsafePlanError("the plan deletes profiles: pass --allow-delete to apply it")
    if plan.count("purge") and not allow_purge:
        raise UnsafePlanError("the plan purges profiles: pass --allow-purge to apply it")
    if plan.unsafe and not force:  # recomputed after reading the tenant, too
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

    def managed(self, plan: Plan, state: JournalState) -> int:
        """Managed profiles in the plan's selection as the plan found them: those listed now,
        plus those this plan already deleted or purged (a resume)."""
        listed = (self.by_key or {}).items()
        keys = {key for key, profile in listed if not profile.deleted}
        keys |= {c.key for c in plan.changes if c.key in state.succeeded and c.action in _GONE}
        return sum(1 for key in keys if plan.options.selectors.selects(key))

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
