"""Build a plan: fetch what the tenant holds, match it to what is declared, diff each pair.

Managed profiles come from one paginated listing of the owner handle's identities, and the
soft-deleted ones (which the tenant keeps, with their email, mobile and identities) from one
listing of ``filter[profile_type]=deleted``; both run at once. Declared values
the listing does not account for are looked up exactly and concurrently (declared identities, then
``filter[email]``, then ``filter[mobile_phone]``), never through the fuzzy ``?search=``: the
values of profiles not yet managed, and the new email, mobile or identity of managed ones (to find
out whether someone else holds it). When those lookups would outnumber the pages of the whole
tenant (seeding), one listing of every profile answers them instead. Matching itself is
:mod:`reconcile.plan.match`.

>>> options = PlanOptions(tenant=url, owner_handle="reconcile")  # doctest: +SKIP
>>> plan = await build_plan(declared, client, options)           # doctest: +SKIP
>>> plan.summary()                                               # doctest: +SKIP
'1 to create, 0 to adopt, 2 to update, 0 to delete, 0 to purge, 0 conflicts, 7 unchanged'
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Container, Iterable, Mapping
from fnmatch import fnmatchcase

from reconcile.collector import paused
from reconcile.errors import ConfigError, ReconcileError
from reconcile.model.declaration import Declaration
from reconcile.model.fields import UniqueValue
from reconcile.model.observed import ObservedProfile
from reconcile.plan.cost import estimate
from reconcile.plan.diff import FieldChange, diff_fields
from reconcile.plan.match import Pair, TenantIndex, match_profiles, unreadable
from reconcile.plan.options import PlanOptions, Selectors
from reconcile.plan.shard import ManagedKeys, renamed_from, selecting
from reconcile.plan.value import Action, Change, Conflict, Plan, Withheld, safety_reasons
from reconcile.profiles.loader import DeclaredProfiles, Loading
from reconcile.profiles.uniqueness import Outline
from reconcile.tenant.client import OmneoClient
from reconcile.tenant.owners import DEFAULT_OWNER, SYSTEM_HANDLES, other_owners

__all__ = ["PlanOptions", "assemble_plan", "build_plan"]

# Below this many exact lookups, making them costs less than deciding whether to list the tenant.
SCAN_MIN_LOOKUPS = 50


async def build_plan(
    declared: DeclaredProfiles | Loading, client: OmneoClient, options: PlanOptions
) -> Plan:
    """The plan for ``declared`` against the tenant behind ``client`` (read-only: no writes).

    ``declared`` may be a load still under way (:func:`~reconcile.profiles.loader.begin_loading`):
    the managed profiles are listed while a cold tree is parsed, and the load is finished after.
    The returned plan still holds the tenant's values; ``Plan.sealed()`` masks them for saving.
    Planning keeps every fetched profile alive to the end, so the collector is paused.
    """
    with paused():
        return await _build_plan(declared, client, options)


async def _build_plan(
    loading: DeclaredProfiles | Loading, client: OmneoClient, options: PlanOptions
) -> Plan:
    selectors = options.selectors
    with_keys = bool(selectors.target)  # --target patterns are matched against managed keys
    managed = None if selectors.is_everything else ManagedKeys(with_keys=with_keys)
    try:
        owned, deleted = await _owned_profiles(
            client, options.owner_handle, selecting(selectors, managed)
        )
    except ReconcileError:
        _loaded(loading)  # a problem in profiles.d/ is reported first: it is the one to fix
        raise
    # Indexed before waiting for the load: while this process indexes, the workers parse.
    index = TenantIndex(options.owner_handle)
    index.add(owned.values())
    listed = len(owned)
    declared = _loaded(loading)
    keys = [*(p.key for p in declared.profiles), *(p.key for p in declared.others)]
    keys += owned if managed is None else managed.keys or ()
    _check_targets(selectors, keys)
    selected = [p for p in declared.profiles if selectors.selects(p.key)]
    if managed is not None:
        await renamed_from(client, selected, owned, managed, options.owner_handle)
        index.add(list(owned.values())[listed:])  # renamed_from only adds, after the listed
    index.add(deleted)
    wanted = _wanted(selected, owned, index)
    covered = await _scan_tenant(client, wanted, index, only_wanted=managed is not None)
    await _look_up(client, [v for v in wanted if _kind(v[0]) not in covered], index)
    if _unmanaged_seen(index):  # a possible adoption: is it another project's profile?
        index.other_owners = await other_owners(client, options.owner_handle)
    plan = assemble_plan(declared, owned, index, options, api_calls=client.calls, managed=managed)
    cost = estimate(
        plan.changes,
        managed=plan.managed,
        rps=client.rps,
        batch=client.batch_by_default,
        threshold=options.threshold,
        threshold_floor=options.threshold_floor,
        registers=options.owner_handle != DEFAULT_OWNER,
    )
    return plan.model_copy(update={"cost": cost})


def _loaded(declared: DeclaredProfiles | Loading) -> DeclaredProfiles:
    return declared.result() if isinstance(declared, Loading) else declared


def assemble_plan(
    declared: DeclaredProfiles,
    owned: Mapping[str, ObservedProfile],
    index: TenantIndex,
    options: PlanOptions,
    *,
    api_calls: int = 0,
    managed: Container[str] | None = None,
) -> Plan:
    """The plan from what was fetched: ``owned`` maps managed keys to profiles (live or
    soft-deleted), ``index`` holds every tenant profile seen. Pure, so tests can build plans
    without a tenant. ``managed``, for a selection, is every key the tenant manages (``owned``
    then holds only the selected ones and those they are renamed from)."""
    with paused():
        return _assemble_plan(declared, owned, index, options, api_calls=api_calls, managed=managed)


def _assemble_plan(
    declared: DeclaredProfiles,
    owned: Mapping[str, ObservedProfile],
    index: TenantIndex,
    options: PlanOptions,
    *,
    api_calls: int,
    managed: Container[str] | None,
) -> Plan:
    selects = options.selectors.selects
    selected = [profile for profile in declared.profiles if selects(profile.key)]
    removals, withheld, unread = _removals(declared, owned, options)
    matching = match_profiles(
        selected,
        owned=owned,
        index=index,
        adopt=options.adopt,
        # Only a purge frees email, mobile and identities: a soft-deleted profile keeps them, as
        # it stays recoverable (docs/sandbox.md records this choice).
        removed=frozenset(c.profile_id or "" for c in removals if c.action == "purge"),
        unselected=[
            *(profile for profile in declared.profiles if not selects(profile.key)),
            *declared.others,
        ],
        managed=managed,
    )
    paired = [change for pair in matching.pairs if (change := _change(pair, options)) is not None]
    live = sum(1 for key, profile in owned.items() if selects(key) and not profile.deleted)
    plan = Plan(
        options=options,
        inputs_digest=declared.digest,
        changes=(*paired, *removals),
        conflicts=(*matching.conflicts, *unread),
        withheld=tuple(withheld),
        managed=live,
        unchanged=len(matching.pairs) - len(paired),
        unsafe=safety_reasons(
            managed=live,
            updates=sum(1 for change in paired if change.action in ("update", "rename")),
            deletes=len(removals),
            threshold=options.threshold,
            floor=options.threshold_floor,
        ),
        api_calls=api_calls,
    )
    return plan.ordered()


def _check_targets(selectors: Selectors, keys: list[str]) -> None:
    """A ``--target`` that selects nothing is a typo, not an empty plan."""
    for pattern in selectors.target:
        if not any(fnmatchcase(key, pattern) for key in keys):
            raise ConfigError(f"--target {pattern!r} matches no declared or managed profile key")


async def _owned_profiles(
    client: OmneoClient, owner_handle: str, keep: Callable[[str], bool] | None = None
) -> tuple[dict[str, ObservedProfile], list[ObservedProfile]]:
    """Managed profiles by key, live or soft-deleted (a live one wins a key held by both), and
    every soft-deleted profile of the tenant (managed or not: they keep their unique values).
    ``keep`` selects the live managed profiles held (a shard's)."""
    listing, deleted = await asyncio.gather(
        client.list_identities(owner_handle, keep), client.list_deleted_profiles()
    )
    owned: dict[str, ObservedProfile] = {}
    for profile in deleted:
        key = profile.identifier(owner_handle)
        if key is not None:
            owned[key] = profile
    for item in listing:
        if not item.profile.deleted:
            owned[item.identifier] = item.profile
    return owned, deleted


def _wanted(
    selected: list[Declaration], owned: Mapping[str, ObservedProfile], index: TenantIndex
) -> list[UniqueValue]:
    """Declared unique values the listing does not explain, each looked up once."""
    wanted: dict[UniqueValue, None] = {}
    for profile in selected:
        if profile.is_tombstone:
            continue
        observed = owned.get(profile.key)
        if observed is not None and profile.holds_unique(observed.fields):
            continue
        for name, value in profile.unique:
            unchanged = observed is not None and observed.fields.get(name) == value
            if not unchanged and not index.knows((name, value)):
                wanted[(name, value)] = None
    return list(wanted)


async def _scan_tenant(
    client: OmneoClient, wanted: list[UniqueValue], index: TenantIndex, *, only_wanted: bool
) -> frozenset[str]:
    """The kinds of lookup that one listing of the whole tenant answers instead, if cheaper.

    Seeding a tenant means a lookup or four per declared profile; when they outnumber the pages
    of ``GET /profiles``, listing every profile is fewer calls, and a value that no listed
    profile holds is held by nobody. Identities count only if the listing shows them.
    ``only_wanted`` (a shard) holds only the listed profiles that hold a wanted value.
    """
    lookups = len(wanted)
    if lookups < SCAN_MIN_LOOKUPS:
        return frozenset()
    values = frozenset(wanted)

    def held(profiles: tuple[ObservedProfile, ...]) -> Iterable[ObservedProfile]:
        if not only_wanted:
            return profiles
        return [p for p in profiles if any(value in values for value in p.unique)]

    first = await client.list_profiles_page({}, number=1)
    index.add(held(first.profiles))
    if first.last_page - 1 >= lookups:
        return frozenset()
    rest = await asyncio.gather(
        *(client.list_profiles_page({}, number=n) for n in range(2, first.last_page + 1))
    )
    for page in rest:
        index.add(held(page.profiles))
    shows_identities = all(page.with_identities for page in (first, *rest))
    return frozenset({"email", "mobile_phone", *(["identities"] if shows_identities else [])})


def _unmanaged_seen(index: TenantIndex) -> bool:
    """Whether a live tenant profile that is not ours was seen (the tool's own aside)."""
    return any(
        not profile.deleted
        and index.owner_key(profile_id) is None
        and not any(profile.identifier(handle) is not None for handle in SYSTEM_HANDLES)
        for profile_id, profile in index.profiles.items()
    )


def _kind(name: str) -> str:
    return "identities" if name.startswith("identities.") else name


async def _look_up(client: OmneoClient, values: list[UniqueValue], index: TenantIndex) -> None:
    """Exact lookups, all at once; the client bounds how many are in flight."""

    async def one(name: str, value: str) -> list[ObservedProfile]:
        if name.startswith("identities."):
            found = await client.find_by_identity(name.removeprefix("identities."), value)
            return [] if found is None else [found]
        return await client.find_by_field(name, value)

    results = await asyncio.gather(*(one(name, str(value)) for name, value in values))
    for profiles in results:
        index.add(profiles)


def _removals(
    declared: DeclaredProfiles, owned: Mapping[str, ObservedProfile], options: PlanOptions
) -> tuple[list[Change], list[Withheld], list[Conflict]]:
    """Deletes and purges within the selection; those not enabled by a flag are withheld, and
    those of a profile that cannot be read are conflicts.

    A soft-deleted profile is deleted already: only a ``state: purged`` tombstone changes it.
    A key that a declaration lists in ``previous_keys`` is being renamed, not removed.
    """
    declared_by_key = declared.by_key()
    everyone: list[Declaration | Outline] = [*declared.profiles, *declared.others]
    renamed = {old for p in everyone if not p.is_tombstone for old in p.previous_keys}
    changes: list[Change] = []
    withheld: list[Withheld] = []
    conflicts: list[Conflict] = []
    for key, observed in sorted(owned.items()):
        profile = declared_by_key.get(key)
        state = profile.state if profile is not None else "undeclared"
        if state == "present" or key in renamed or not options.selectors.selects(key):
            continue
        if observed.deleted and state != "purged":
            continue
        action = "purge" if state == "purged" else "delete"
        allowed = options.allow_purge if action == "purge" else options.allow_delete
        if observed.unreadable is not None:
            conflicts.append(unreadable((key,), observed))
        elif allowed:
            changes.append(
                Change(
                    action=action,
                    key=key,
                    profile_id=observed.id,
                    fingerprint=observed.fingerprint(),
                    fields=_erasure(profile),
                )
            )
        else:
            withheld.append(Withheld(action=action, key=key, reason=state))
    return changes, withheld, conflicts


def _erasure(profile: Declaration | None) -> tuple[FieldChange, ...]:
    """A purge shows the erasure request it carries out, so a reviewer can check it."""
    if profile is None or profile.erasure_reference is None:
        return ()
    reference = profile.erasure_reference
    return (FieldChange(field="erasure", path="erasure.reference", before=None, after=reference),)


def _change(pair: Pair, options: PlanOptions) -> Change | None:
    """The change a pair needs, or ``None``; a restore or a rename is a change by itself."""
    if pair.observed is None:
        fields = [
            FieldChange(field=name, path=name, before=None, after=value)
            for name, value in pair.view.items()
            if value is not None
        ]
        return Change(
            action="create", key=pair.profile.key, fields=(_owner(pair, options), *fields)
        )
    # An unchanged profile is compared without decoding its declared view (memory: the view).
    same = pair.profile.same_as(pair.observed.fields)
    diffs = [] if same else diff_fields(pair.view, pair.observed.fields)
    if pair.adopt or pair.previous_key is not None:
        diffs = [_owner(pair, options), *diffs]
    elif not diffs and not pair.restore:
        return None
    return Change(
        action=_action(pair),
        key=pair.profile.key,
        profile_id=pair.observed.id,
        fingerprint=pair.observed.fingerprint(),
        fields=tuple(diffs),
    )


def _action(pair: Pair) -> Action:
    if pair.restore:  # a restore may rename too: the owner identity's change shows it
        return "restore"
    if pair.adopt:
        return "adopt"
    return "update" if pair.previous_key is None else "rename"


def _owner(pair: Pair, options: PlanOptions) -> FieldChange:
    """The owner identity a change sets: added (adopt, create) or re-keyed (rename)."""
    name = f"identities.{options.owner_handle}"
    return FieldChange(field=name, path=name, before=pair.previous_key, after=pair.profile.key)
