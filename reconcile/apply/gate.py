"""The gate: whether a plan may be carried out on a tenant, decided in one place.

A plan file is input, so nothing it says is trusted; :func:`admit` is the one entry point, and
the engines run only what it admitted (``session.py`` calls it under the tenant's lock). In
order, it refuses a plan:

1. made for another tenant (the plan records the tenant's URL), or refused by a production
   tenant's guards (``guards.py``: bulk mode, more creates than ``max_creates``, unless ``force``
   with a ``reason``);
2. of another project, or of another state of profiles.d/ (its owner handle, its digest), or
   that contradicts itself or profiles.d/ (``contents.py``);
3. needing a flag it was not given: conflicts, deletes, purges, an unsafe plan;
4. naming a tenant profile it may not touch (each one re-read: owner identity, declared values);
5. stale: a touched profile changed since the plan was made (its fingerprint; the message names
   the keys that moved);
6. unsafe once recounted: its safety recomputed from its changes, with the project's threshold and
   the tenant's count of managed profiles, never read from the file.

:func:`preflight` is step 1 alone, needing no reads: callers run it early, to refuse before
profiles.d/ is read; :func:`admit` runs it again, so no path skips it.

Touched profiles are re-read one by one, or for a large plan (or one whose safety depends on how
many profiles are managed) through one paginated listing of the owner handle; soft-deleted ones,
which reads by id do not reach, through the listing of deleted profiles when the plan restores
or purges.

>>> admitted = await admit(plan, declared, client, target, policy, allowed)   # doctest: +SKIP
>>> admitted.observed["jane"].id                                              # doctest: +SKIP
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict

from reconcile.apply.contents import (
    check_project,
    check_shape,
    count_matters,
    ownership_problem,
    recomputed_unsafe,
)
from reconcile.apply.freshness import Listed
from reconcile.apply.guards import Override, check_bulk, check_creates
from reconcile.apply.journal import JournalState
from reconcile.errors import ConflictError, PlanError, StalePlanError, UnsafePlanError
from reconcile.model.observed import ObservedProfile
from reconcile.plan.cost import LISTING_FROM  # from this many changes on, one listing
from reconcile.plan.value import Change, Plan
from reconcile.profiles.loader import DeclaredProfiles
from reconcile.settings import Settings, Target
from reconcile.tenant.client import OmneoClient

_GONE = frozenset({"delete", "purge"})


@dataclass(frozen=True)
class Admitted:
    """What :func:`admit` read: the touched profiles by key, and the owner listing it read
    them from (``None``: read one by one), which checks the first changes (``freshness.py``)."""

    observed: dict[str, ObservedProfile]
    listed: Listed | None


class ProjectPolicy(BaseModel):
    """What the project (not the plan file) says: whose profiles these are, and how many
    changes at once are safe."""

    model_config = ConfigDict(frozen=True)

    owner_handle: str
    threshold: float = 0.30
    threshold_floor: int = 10

    @classmethod
    def of(cls, settings: Settings) -> ProjectPolicy:
        return cls(
            owner_handle=settings.owner_handle,
            threshold=settings.delete_threshold,
            threshold_floor=settings.threshold_floor,
        )


class Allowed(BaseModel):
    """What the person applying allows: the flags of ``reconcile apply``."""

    model_config = ConfigDict(frozen=True)

    allow_delete: bool = False
    allow_purge: bool = False
    # applies a plan marked unsafe and, with a ``reason``, passes a production tenant's guards
    force: bool = False
    reason: str | None = None
    # True: batch creates and adoptions even where one by one is cheaper; False: never batch;
    # None: batch when the plan found it cheaper (not on a production tenant)
    bulk: bool | None = None


def preflight(plan: Plan, target: Target, allowed: Allowed) -> list[str]:
    """Step 1: refuse ``plan`` on ``target`` before anything is read; the guards' notes.

    Raises :class:`~reconcile.errors.PlanError` for a plan of another tenant and
    :class:`~reconcile.errors.UnsafePlanError` when a production guard refuses.
    """
    if plan.options.tenant != target.url:
        raise PlanError(f"the plan was made for {plan.options.tenant}, not {target.url}")
    override = Override(force=allowed.force, reason=allowed.reason)
    notes = [check_creates(target, creates=plan.count("create"), override=override)]
    if allowed.bulk:
        notes.append(check_bulk(target, override=override))
    return [note for note in notes if note]


async def admit(
    plan: Plan,
    declared: DeclaredProfiles,
    client: OmneoClient,
    target: Target,
    policy: ProjectPolicy,
    allowed: Allowed,
    *,
    journal: JournalState | None = None,
) -> Admitted:
    """Refuse a plan that may not run (see the module); the re-read profiles it touches, and
    the listing they were read from (if one was).

    With ``journal`` (a resume), changes the journal shows done are skipped, and profiles it
    shows started are accepted as they are now: their fingerprints moved because of us.
    """
    preflight(plan, target, allowed)
    check_project(plan, declared, owner_handle=policy.owner_handle)
    check_shape(plan, declared)
    _check_flags(plan, allowed)
    state = journal or JournalState()
    pending = [c for c in plan.changes if c.key not in state.succeeded]
    threshold, floor = policy.threshold, policy.threshold_floor
    counting = count_matters(plan, threshold=threshold, floor=floor)
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
    unsafe = recomputed_unsafe(plan, declared, threshold=threshold, floor=floor, managed=managed)
    if unsafe and not allowed.force:
        raise UnsafePlanError(f"the plan is unsafe ({'; '.join(unsafe)}): pass --force")
    observed = {
        c.key: profile
        for c, (_, profile) in zip(pending, current, strict=True)
        if profile is not None
    }
    return Admitted(observed=observed, listed=known.listed)


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


def _check_flags(plan: Plan, allowed: Allowed) -> None:
    if plan.conflicts and not plan.options.allow_conflicts:
        raise ConflictError(
            f"the plan has {len(plan.conflicts)} conflicts: resolve them and plan again, or plan "
            "with --allow-conflicts to apply the rest"
        )
    if plan.count("delete") and not allowed.allow_delete:
        raise UnsafePlanError("the plan deletes profiles: pass --allow-delete to apply it")
    if plan.count("purge") and not allowed.allow_purge:
        raise UnsafePlanError("the plan purges profiles: pass --allow-purge to apply it")
    if plan.unsafe and not allowed.force:  # recomputed after reading the tenant, too
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
        self.listed: Listed | None = None
        self.by_id = {p.id: p for p in (*(by_key or {}).values(), *deleted)}

    @classmethod
    async def fetch(
        cls, client: OmneoClient, owner: str, *, listing: bool, deleted: bool
    ) -> _Known:
        """``deleted``: also list the soft-deleted profiles (a read by id answers 404 for them)."""
        gone = await client.list_deleted_profiles() if deleted else []
        if not listing:
            return cls(client, owner, None, gone)
        taken = time.monotonic()
        pages = await client.identity_pages(owner)
        owned = [o for page in pages for o in page]
        known = cls(client, owner, {o.identifier: o.profile for o in owned}, gone)
        known.listed = Listed(taken, tuple(tuple(o.profile.id for o in page) for page in pages))
        return known

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
