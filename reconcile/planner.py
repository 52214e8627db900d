"""Build a plan: fetch what the tenant holds, match it to what is declared, diff each pair.

Managed profiles come from one paginated listing of the owner handle's identities. Declared
profiles that are not managed yet are looked up exactly (declared identities, then email, then
mobile), never through the fuzzy ``?search=``.

>>> options = PlanOptions(tenant=url, owner_handle="reconcile")  # doctest: +SKIP
>>> plan = await build_plan(declared, client, options)           # doctest: +SKIP
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict

from reconcile.client import OmneoClient, OwnedProfile
from reconcile.diff import FieldChange, diff_fields
from reconcile.loader import DeclaredProfiles
from reconcile.model import DesiredProfile, ObservedProfile
from reconcile.plan import Change, Conflict, Plan

_LOOKUP_FIELDS = ("email", "mobile_phone")


class PlanOptions(BaseModel):
    model_config = ConfigDict(frozen=True)

    tenant: str
    owner_handle: str = "reconcile"
    phone_region: str | None = None
    allow_delete: bool = False
    allow_purge: bool = False
    adopt: bool = True


@dataclass
class _Candidates:
    """Tenant profiles that a not-yet-managed declaration matched, with the fields that matched."""

    by_id: dict[str, ObservedProfile]
    fields: dict[str, list[str]]


async def build_plan(declared: DeclaredProfiles, client: OmneoClient, options: PlanOptions) -> Plan:
    owned = {o.identifier: o for o in await client.list_identities(options.owner_handle)}
    unmanaged = [p for p in declared.profiles if p.key not in owned and not p.is_tombstone]
    found = await asyncio.gather(*(_lookup(client, p) for p in unmanaged))
    candidates = dict(zip((p.key for p in unmanaged), found, strict=True))
    changes, conflicts = _match(declared, owned, candidates, options)
    declared_keys = {p.key for p in declared.profiles}
    undeclared = tuple(sorted(k for k in owned if k not in declared_keys))
    if options.allow_delete:
        changes += [_delete(owned[key]) for key in undeclared]
        undeclared = ()
    touched = {c.key for c in changes} | {k for c in conflicts for k in c.keys}
    unchanged = sum(
        1
        for p in declared.profiles
        if p.key in owned and p.key not in touched and not p.is_tombstone
    )
    plan = Plan(
        tenant=options.tenant,
        owner_handle=options.owner_handle,
        phone_region=options.phone_region,
        inputs_digest=declared.digest,
        allow_delete=options.allow_delete,
        allow_purge=options.allow_purge,
        changes=tuple(changes),
        conflicts=tuple(conflicts),
        undeclared=undeclared,
        managed=len(owned),
        unchanged=unchanged,
        api_calls=client.calls,
    )
    return plan.sealed()


async def _lookup(client: OmneoClient, profile: DesiredProfile) -> _Candidates:
    found = _Candidates(by_id={}, fields={})

    def note(observed: ObservedProfile | None, field: str) -> None:
        if observed is not None:
            found.by_id.setdefault(observed.id, observed)
            found.fields.setdefault(observed.id, []).append(field)

    for handle, identifier in sorted((profile.identities or {}).items()):
        note(await client.find_by_identity(handle, identifier), f"identities.{handle}")
    view = profile.flat_view()
    for field in _LOOKUP_FIELDS:
        if isinstance(view.get(field), str):
            for observed in await client.find_by_field(field, view[field]):
                note(observed, field)
    return found


def _match(
    declared: DeclaredProfiles,
    owned: dict[str, OwnedProfile],
    candidates: dict[str, _Candidates],
    options: PlanOptions,
) -> tuple[list[Change], list[Conflict]]:
    changes: list[Change] = []
    conflicts: list[Conflict] = []
    claims: dict[str, list[str]] = {}
    for key, found in candidates.items():
        for profile_id in found.by_id:
            claims.setdefault(profile_id, []).append(key)
    for profile in declared.profiles:
        if profile.key in owned:
            change = _managed_change(profile, owned[profile.key].profile, options)
        else:
            change, conflict = _unmanaged_change(
                profile, candidates.get(profile.key), claims, owned, options
            )
            conflicts += [conflict] if conflict else []
        changes += [change] if change else []
    return changes, conflicts


def _managed_change(
    profile: DesiredProfile, observed: ObservedProfile, options: PlanOptions
) -> Change | None:
    base = {"key": profile.key, "profile_id": observed.id, "fingerprint": observed.fingerprint()}
    if profile.state == "absent":
        return Change(action="delete", **base) if options.allow_delete else None
    if profile.state == "purged":
        return Change(action="purge", **base) if options.allow_purge else None
    fields = diff_fields(profile.flat_view(), observed.fields)
    return Change(action="update", fields=tuple(fields), **base) if fields else None


def _unmanaged_change(
    profile: DesiredProfile,
    found: _Candidates | None,
    claims: dict[str, list[str]],
    owned: dict[str, OwnedProfile],
    options: PlanOptions,
) -> tuple[Change | None, Conflict | None]:
    if found is None:  # a tombstone for a profile we never managed: nothing to do
        return None, None
    owner = FieldChange(
        field=f"identities.{options.owner_handle}",
        path=f"identities.{options.owner_handle}",
        before=None,
        after=profile.key,
    )
    if not found.by_id:
        creates = [
            FieldChange(field=k, path=k, before=None, after=v)
            for k, v in profile.flat_view().items()
        ]
        return Change(action="create", key=profile.key, fields=(owner, *creates)), None
    conflict = _conflict(profile.key, found, claims, owned, options)
    if conflict:
        return None, conflict
    observed = next(iter(found.by_id.values()))
    fields = (owner, *diff_fields(profile.flat_view(), observed.fields))
    change = Change(
        action="adopt",
        key=profile.key,
        profile_id=observed.id,
        fingerprint=observed.fingerprint(),
        fields=fields,
    )
    return change, None


def _conflict(
    key: str,
    found: _Candidates,
    claims: dict[str, list[str]],
    owned: dict[str, OwnedProfile],
    options: PlanOptions,
) -> Conflict | None:
    ids = tuple(sorted(found.by_id))
    fields = tuple(sorted({f for fs in found.fields.values() for f in fs}))
    if len(ids) > 1:
        return Conflict(
            keys=(key,),
            fields=fields,
            profile_ids=ids,
            reason="matches more than one tenant profile",
        )
    rivals = tuple(sorted(set(claims.get(ids[0], [])) - {key}))
    if rivals:
        return Conflict(
            keys=(key, *rivals),
            fields=fields,
            profile_ids=ids,
            reason="one tenant profile is matched by several declared profiles",
        )
    holder = found.by_id[ids[0]].identifier(options.owner_handle)
    if holder is not None:
        return Conflict(
            keys=(key, holder),
            fields=fields,
            profile_ids=ids,
            reason=f"the matching profile is already managed as {holder!r}",
        )
    if not options.adopt:
        return Conflict(
            keys=(key,),
            fields=fields,
            profile_ids=ids,
            reason="matches an unmanaged profile and adoption is off (--no-adopt)",
        )
    return None


def _delete(owned: OwnedProfile) -> Change:
    return Change(
        action="delete",
        key=owned.identifier,
        profile_id=owned.profile.id,
        fingerprint=owned.profile.fingerprint(),
    )
