"""Pair declared profiles with tenant profiles, and find the conflicts; pure, no I/O.

Order of matching: the owner identity (a managed profile, live or soft-deleted: a soft-deleted
one is restored); then the owner identity under one of the declaration's ``previous_keys`` (a
rename); then, for a profile not yet managed, every live tenant profile holding one of its declared
identities, its email or its mobile. One such profile is an adopt, none is a create, several are a
conflict. A declared unique value (email, mobile, identity) that another tenant profile holds and
keeps after the plan is a conflict too, soft-deleted holders included (they keep their values
until purged); one that the plan frees (two managed profiles swapping emails, a purge) is not:
apply orders it.

>>> index = TenantIndex("reconcile")
>>> matching = match_profiles([jane], owned={}, index=index, adopt=True)  # doctest: +SKIP
>>> matching.pairs[0].observed is None                                      # doctest: +SKIP
True
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Container, Iterable, Mapping
from dataclasses import dataclass, field

from reconcile.model.declaration import Declaration
from reconcile.model.fields import JsonValue, UniqueValue
from reconcile.model.mask import mask_value
from reconcile.model.observed import ObservedProfile
from reconcile.plan.shard import Present, add_unselected_claims
from reconcile.plan.value import Conflict
from reconcile.profiles.uniqueness import Outline

__all__ = ["Pair", "TenantIndex", "match_profiles", "unreadable"]


@dataclass
class TenantIndex:
    """Every tenant profile the planner has seen, and which profile holds which unique value."""

    owner_handle: str
    profiles: dict[str, ObservedProfile] = field(default_factory=dict)
    # Field name → value → the id of the profile holding it (a tuple of ids when several do):
    # one dict per unique field, no (name, value) pair and no tuple of one id per value (each
    # would cost 50 bytes, five values a profile; memory: docs/performance.md).
    holders: dict[str, dict[JsonValue, str | tuple[str, ...]]] = field(default_factory=dict)
    # The owner handles of other projects on this tenant (tenant/owners.py): a profile holding
    # one of their identities is theirs, never adopted.
    other_owners: frozenset[str] = frozenset()

    def add(self, profiles: Iterable[ObservedProfile]) -> None:
        """Soft-deleted profiles are added too: they still hold their unique values."""
        holders = self.holders
        for profile in profiles:
            profile_id = profile.id
            self.profiles[profile_id] = profile
            for name, value in profile.unique:
                by_value = holders.get(name)
                if by_value is None:
                    by_value = holders[name] = {}
                held = by_value.get(value)
                if held is None:
                    by_value[value] = profile_id
                elif type(held) is str:
                    if held != profile_id:
                        by_value[value] = (held, profile_id)
                elif profile_id not in held:
                    by_value[value] = (*held, profile_id)

    def holding(self, value: UniqueValue) -> tuple[str, ...]:
        """The ids of the profiles holding ``value``, in the order they were added."""
        name, held = value
        found = self.holders.get(name, {}).get(held)
        if found is None:
            return ()
        return (found,) if isinstance(found, str) else found

    def knows(self, value: UniqueValue) -> bool:
        name, held = value
        return held in self.holders.get(name, {})

    def owner_key(self, profile_id: str) -> str | None:
        return self.profiles[profile_id].identifier(self.owner_handle)

    def other_owner(self, profile_id: str) -> tuple[str, str] | None:
        """The other project's owner handle and key that ``profile_id`` is managed under."""
        profile = self.profiles[profile_id]
        for handle in sorted(self.other_owners):
            key = profile.identifier(handle)
            if key is not None:
                return handle, key
        return None


@dataclass(frozen=True)
class Pair:
    """A declared profile and the tenant profile it will change (``None``: it will be created)."""

    profile: Declaration
    observed: ObservedProfile | None
    adopt: bool = False
    previous_key: str | None = None  # a rename: the key the profile is managed under now

    @property
    def restore(self) -> bool:
        return self.observed is not None and self.observed.deleted

    @property
    def view(self) -> Mapping[str, JsonValue]:
        return self.profile.view

    @property
    def unique(self) -> tuple[UniqueValue, ...]:
        """The declared unique values that are set (matching and conflicts look at these)."""
        return self.profile.unique


@dataclass
class Matching:
    pairs: list[Pair]
    conflicts: list[Conflict]


def match_profiles(
    declared: Iterable[Declaration],
    *,
    owned: Mapping[str, ObservedProfile],
    index: TenantIndex,
    adopt: bool,
    removed: frozenset[str] = frozenset(),
    unselected: Iterable[Declaration | Outline] = (),
    managed: Container[str] | None = None,
) -> Matching:
    """Pair every present declared profile, or report why it cannot be paired.

    ``owned`` maps managed keys to their profiles (live or soft-deleted); ``removed`` holds the
    ids the plan purges (they free their values; a soft-deleted profile keeps them).
    ``unselected`` are the declared profiles outside the plan's selection: one of them claiming
    the same tenant profile is a conflict in every shard alike. ``managed`` holds every key the
    tenant manages when ``owned`` holds only the selection's (a shard).
    """
    pairs: list[Pair] = []
    conflicts: list[Conflict] = []
    claims: dict[str, list[tuple[Declaration | Outline, list[str]]]] = defaultdict(list)
    declared, unselected = list(declared), list(unselected)
    for profile in declared:
        if profile.is_tombstone:
            continue
        managed = managed_under(profile, owned)
        if len(managed) > 1:
            conflicts.append(_moved_twice(profile, managed))
            continue
        if managed:
            ((key, observed),) = managed.items()
            if observed.unreadable is not None:
                conflicts.append(unreadable((profile.key,), observed))
                continue
            previous = key if key != profile.key else None
            pairs.append(Pair(profile, observed, previous_key=previous))
            continue
        found = _candidates(profile, index)
        if len(found) > 1:
            conflicts.append(_ambiguous(profile, found))
        elif found:
            ((profile_id, fields),) = found.items()
            claims[profile_id].append((profile, fields))
        else:
            pairs.append(Pair(profile, None))
    add_unselected_claims(claims, index, owned if managed is None else managed, unselected)
    for profile_id, claimants in sorted(claims.items()):
        if len(claimants) > 1:
            conflicts.append(_contested(profile_id, claimants))
        elif index.profiles[profile_id].unreadable is not None:
            conflicts.append(unreadable((claimants[0][0].key,), index.profiles[profile_id]))
        elif (other := index.other_owner(profile_id)) is not None:
            conflicts.append(_managed_elsewhere(profile_id, *claimants[0], other))
        elif not adopt:
            conflicts.append(_no_adopt(profile_id, *claimants[0]))
        else:
            ((claimant, _),) = claimants
            assert isinstance(claimant, Declaration)  # the first claimant is a selected one
            pairs.append(Pair(claimant, index.profiles[profile_id], adopt=True))
    present = Present(declared, unselected)
    return _without_taken(Matching(pairs, conflicts), index, removed, present)


def managed_under(
    profile: Declaration, owned: Mapping[str, ObservedProfile]
) -> dict[str, ObservedProfile]:
    """The managed profiles a declaration claims: under its key, or under a previous key."""
    keys = (profile.key, *profile.previous_keys)
    return {key: owned[key] for key in keys if key in owned}


def _moved_twice(profile: Declaration, managed: Mapping[str, ObservedProfile]) -> Conflict:
    keys = ", ".join(repr(key) for key in managed)
    return Conflict(
        kind="ambiguous",
        keys=(profile.key,),
        fields=("previous_keys",),
        profile_ids=tuple(sorted(p.id for p in managed.values())),
        reason=f"the tenant manages a profile under each of {keys}; a rename needs the new key "
        "free: delete one of them, or remove its key from previous_keys",
    )


def _candidates(profile: Declaration, index: TenantIndex) -> dict[str, list[str]]:
    """Unmanaged tenant profiles holding a declared unique value, with the fields that matched."""
    found: dict[str, list[str]] = {}
    for name, value in profile.unique:
        for profile_id in sorted(index.holding((name, value))):
            holder = index.profiles[profile_id]
            # A soft-deleted profile cannot be adopted (it is hidden); it keeps the value: taken.
            if index.owner_key(profile_id) is None and not holder.deleted:
                found.setdefault(profile_id, []).append(name)
    return found


def _without_taken(
    matching: Matching, index: TenantIndex, removed: frozenset[str], present: Container[str]
) -> Matching:
    """Drop pairs whose declared values stay with another profile; repeat, as a skip can cascade."""
    conflicts = list(matching.conflicts)
    skipped = {key for conflict in conflicts for key in conflict.keys}
    while True:
        active = [pair for pair in matching.pairs if pair.profile.key not in skipped]
        after = _After(index, removed, {p.observed.id: p.profile for p in active if p.observed})
        taken = [c for pair in active if (c := _taken(pair, index, after, present)) is not None]
        if not taken:
            return Matching(active, conflicts)
        conflicts += taken
        skipped |= {conflict.keys[0] for conflict in taken}


@dataclass(frozen=True)
class _After:
    """Unique values as they will be once the plan is applied (a removed profile holds none)."""

    index: TenantIndex
    removed: frozenset[str]
    # profile id → its declaration (only unique fields are asked for: a declared one, None
    # included, is what apply will set; the view is decoded only for those asked)
    declared: Mapping[str, Declaration]

    def value(self, profile_id: str, name: str) -> JsonValue:
        if profile_id in self.removed:
            return None
        declared = self.declared.get(profile_id)
        if declared is not None and name in declared.names:
            return declared.view[name]
        profile = self.index.profiles.get(profile_id)
        return profile.fields.get(name) if profile is not None else None


def _taken(
    pair: Pair, index: TenantIndex, after: _After, present: Container[str]
) -> Conflict | None:
    own_id = pair.observed.id if pair.observed is not None else None
    if pair.observed is not None and pair.profile.holds_unique(pair.observed.fields):
        return None
    for name, value in pair.unique:
        if pair.observed is not None and pair.observed.fields.get(name) == value:
            continue
        keepers = sorted(
            profile_id
            for profile_id in index.holding((name, value))
            if profile_id != own_id and after.value(profile_id, name) == value
        )
        if keepers:
            return Conflict(
                kind="taken",
                keys=(pair.profile.key,),
                fields=(name,),
                profile_ids=tuple(keepers),
                values={name: value},
                reason=f"{name} {_masked(name, value)} belongs to "
                + _keeper(pair, index.profiles[keepers[0]], index.owner_handle, present),
            )
    return None


def _keeper(pair: Pair, keeper: ObservedProfile, owner_handle: str, present: Container[str]) -> str:
    """Who keeps a taken value, and the way out when there is one."""
    holder = keeper.identifier(owner_handle)
    state = "soft-deleted " if keeper.deleted else ""
    if holder is None:
        until = ", which keeps it until it is purged in Omneo" if keeper.deleted else ""
        return f"an unmanaged {state}profile{until or ', which keeps it'}"
    whose = f"the {state}profile managed as {holder!r}, which keeps it"
    if pair.observed is None and holder not in present:
        # The holder's key is gone from profiles.d/: most likely this is it, under a new key.
        return f"{whose}; if this is that profile under a new key, add previous_keys: [{holder}]"
    return whose


def _ambiguous(profile: Declaration, found: Mapping[str, list[str]]) -> Conflict:
    fields = sorted({name for names in found.values() for name in names})
    view = profile.view
    matched = "; ".join(
        f"{', '.join(names)} match profile {profile_id}" for profile_id, names in found.items()
    )
    return Conflict(
        kind="ambiguous",
        keys=(profile.key,),
        fields=tuple(fields),
        profile_ids=tuple(sorted(found)),
        values={name: view[name] for name in fields},
        reason=f"matches {len(found)} different tenant profiles ({matched})",
    )


def _contested(
    profile_id: str, claimants: list[tuple[Declaration | Outline, list[str]]]
) -> Conflict:
    keys = sorted(profile.key for profile, _ in claimants)
    fields = sorted({name for _, names in claimants for name in names})
    # Two declarations never share a value (validation), so field names do not collide here.
    values = {name: profile.view[name] for profile, names in claimants for name in names}
    return Conflict(
        kind="contested",
        keys=tuple(keys),
        fields=tuple(fields),
        profile_ids=(profile_id,),
        values=values,
        reason=f"tenant profile {profile_id} is matched by {len(keys)} declared profiles",
    )


def _no_adopt(profile_id: str, profile: Declaration | Outline, fields: list[str]) -> Conflict:
    view = profile.view
    return Conflict(
        kind="no-adopt",
        keys=(profile.key,),
        fields=tuple(fields),
        profile_ids=(profile_id,),
        values={name: view[name] for name in fields},
        reason=f"matches unmanaged profile {profile_id} by {', '.join(fields)}; "
        "adoption is off (--no-adopt)",
    )


def unreadable(keys: tuple[str, ...], observed: ObservedProfile) -> Conflict:
    """The tenant profile behind ``keys`` holds a part reconcile cannot read: it is left alone."""
    problem = observed.unreadable
    assert problem is not None
    return Conflict(
        kind="unreadable",
        keys=keys,
        fields=(problem.field,),
        profile_ids=(observed.id,),
        reason=problem.message(observed.id),
    )


def _managed_elsewhere(
    profile_id: str, profile: Declaration | Outline, fields: list[str], owner: tuple[str, str]
) -> Conflict:
    handle, key = owner
    return Conflict(
        kind="managed-elsewhere",
        keys=(profile.key,),
        fields=tuple(fields),
        profile_ids=(profile_id,),
        values={name: profile.view[name] for name in fields},
        reason=f"matches profile {profile_id} by {', '.join(fields)}, which another project "
        f"manages (owner handle {handle!r}, key {key!r}): it is not adopted; remove the "
        "declaration, or release the profile in that project first",
    )


def _masked(name: str, value: JsonValue) -> str:
    return str(mask_value(name, value))
