"""Carry out a reviewed plan, after checking that it still describes the world.

``verify_plan`` refuses a stale plan (profiles.d/ or a touched tenant profile changed since the
plan was made) or one that needs a flag it was not given; ``apply_plan`` then writes each change
and reports every outcome, failures included, without stopping unrelated changes.

>>> await verify_plan(plan, declared, client)           # doctest: +SKIP
>>> result = await apply_plan(plan, declared, client)   # doctest: +SKIP
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Literal

from pydantic import BaseModel, ConfigDict

from reconcile.client import OmneoClient
from reconcile.errors import ApiError, StalePlanError, UnsafePlanError
from reconcile.loader import DeclaredProfiles
from reconcile.model import SCALAR_FIELDS, DesiredProfile, JsonValue, ObservedProfile
from reconcile.plan import ACTIONS, Change, Plan

_PROFILE_BODY_FIELDS = (*SCALAR_FIELDS, "tags")


class Outcome(BaseModel):
    model_config = ConfigDict(frozen=True)

    key: str
    action: str
    profile_id: str | None
    status: Literal["ok", "failed"]
    error: str | None = None


class ApplyResult(BaseModel):
    model_config = ConfigDict(frozen=True)

    outcomes: tuple[Outcome, ...]

    @property
    def failed(self) -> tuple[Outcome, ...]:
        return tuple(o for o in self.outcomes if o.status == "failed")

    def summary(self) -> str:
        done = len(self.outcomes) - len(self.failed)
        return f"{done} applied, {len(self.failed)} failed"


async def verify_plan(
    plan: Plan,
    declared: DeclaredProfiles,
    client: OmneoClient,
    *,
    allow_delete: bool = False,
    allow_purge: bool = False,
    force: bool = False,
) -> dict[str, ObservedProfile]:
    """Refuse a plan that is stale or unsafe; return the re-fetched profiles it touches."""
    _check_flags(plan, allow_delete=allow_delete, allow_purge=allow_purge, force=force)
    if plan.inputs_digest != declared.digest:
        raise StalePlanError(
            "profiles.d/ changed since the plan was made; run `reconcile plan` again"
        )
    current = await asyncio.gather(*(_current(client, plan.owner_handle, c) for c in plan.changes))
    moved = sorted(c.key for c, (ok, _) in zip(plan.changes, current, strict=True) if not ok)
    if moved:
        names = ", ".join(moved[:20]) + (f" and {len(moved) - 20} more" if len(moved) > 20 else "")
        raise StalePlanError(
            f"the tenant changed since the plan was made ({names}); run `reconcile plan` again"
        )
    return {
        c.key: observed
        for c, (_, observed) in zip(plan.changes, current, strict=True)
        if observed is not None
    }


def _check_flags(plan: Plan, *, allow_delete: bool, allow_purge: bool, force: bool) -> None:
    if plan.count("delete") and not allow_delete:
        raise UnsafePlanError("the plan deletes profiles: pass --allow-delete to apply it")
    if plan.count("purge") and not allow_purge:
        raise UnsafePlanError("the plan purges profiles: pass --allow-purge to apply it")
    if plan.unsafe and not force:
        raise UnsafePlanError(f"the plan is unsafe ({'; '.join(plan.unsafe)}): pass --force")


async def _current(
    client: OmneoClient, owner: str, change: Change
) -> tuple[bool, ObservedProfile | None]:
    if change.action == "create":
        existing = await client.find_by_identity(owner, change.key)
        return existing is None, None
    observed = await client.get_profile(change.profile_id or "")
    ok = observed is not None and observed.fingerprint() == change.fingerprint
    return ok, observed


async def apply_plan(
    plan: Plan,
    declared: DeclaredProfiles,
    client: OmneoClient,
    observed: dict[str, ObservedProfile],
    *,
    on_outcome: Callable[[Outcome], None] | None = None,
) -> ApplyResult:
    """Write every change; deletes first (they free emails and identities), creates last."""
    desired = declared.by_key()
    outcomes: list[Outcome] = []
    for action in ACTIONS:
        batch = [c for c in plan.changes if c.action == action]
        results = await asyncio.gather(
            *(_run(c, desired.get(c.key), observed.get(c.key), client, plan) for c in batch)
        )
        for outcome in results:
            outcomes.append(outcome)
            if on_outcome:
                on_outcome(outcome)
    return ApplyResult(outcomes=tuple(outcomes))


async def _run(
    change: Change,
    profile: DesiredProfile | None,
    observed: ObservedProfile | None,
    client: OmneoClient,
    plan: Plan,
) -> Outcome:
    profile_id = change.profile_id
    try:
        if change.action == "delete":
            await client.delete_profile(profile_id or "")
        elif change.action == "purge":
            await client.purge_profile(profile_id or "")
        elif change.action == "create" and profile is not None:
            profile_id = await _create(profile, client, plan.owner_handle)
        elif profile is not None and observed is not None:
            if change.action == "adopt":
                await client.add_identity(observed.id, plan.owner_handle, change.key)
            await _write_fields(profile, observed, [f.field for f in change.fields], client)
    except ApiError as exc:
        return Outcome(
            key=change.key,
            action=change.action,
            profile_id=profile_id,
            status="failed",
            error=str(exc),
        )
    return Outcome(key=change.key, action=change.action, profile_id=profile_id, status="ok")


async def _create(profile: DesiredProfile, client: OmneoClient, owner: str) -> str:
    view = profile.flat_view()
    body: dict[str, JsonValue] = {k: v for k, v in view.items() if k in _PROFILE_BODY_FIELDS}
    identities = [{"handle": owner, "identifier": profile.key}]
    identities += [
        {"handle": h, "identifier": i} for h, i in sorted((profile.identities or {}).items())
    ]
    body["identities"] = identities
    created = await client.create_profile(body)
    extra = [k for k in view if k not in _PROFILE_BODY_FIELDS and not k.startswith("identities.")]
    await _write_fields(profile, created, extra, client)
    return created.id


async def _write_fields(
    profile: DesiredProfile, observed: ObservedProfile, fields: list[str], client: OmneoClient
) -> None:
    """Send only the changed fields, each through the endpoint that owns it."""
    view = profile.flat_view()
    wanted = sorted(set(fields) & set(view))
    body = {k: view[k] for k in wanted if k in _PROFILE_BODY_FIELDS}
    if body:
        await client.update_profile(observed.id, body)
    comms = {
        k.removeprefix("attributes.comms."): view[k]
        for k in wanted
        if k.startswith("attributes.comms.")
    }
    if comms:
        await client.update_comms(observed.id, comms)
    for name in wanted:
        if name.startswith("identities."):
            handle = name.removeprefix("identities.")
            if observed.identifier(handle) is None:
                await client.add_identity(observed.id, handle, view[name])
            else:
                await client.update_identity(observed.id, handle, view[name])
        elif name.startswith("custom_attributes."):
            namespace, handle = name.removeprefix("custom_attributes.").split(".", 1)
            await client.put_custom_attribute(
                observed.id, namespace, handle, profile.custom_type(namespace, handle), view[name]
            )
