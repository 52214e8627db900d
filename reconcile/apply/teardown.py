"""Tear down a test tenant: a plan that deletes (or purges) every profile this project manages.

Managed profiles are those carrying the owner identity, found by one paginated listing of that
handle; with ``purge``, the soft-deleted ones too (the tenant keeps them, with their email, mobile
and identities, until they are purged), found by the listing of deleted profiles. Nothing else on
the tenant is ever part of the plan. The plan is an ordinary plan: it is
shown, saved and applied like any other (``Project.apply``, through the same gate: with
``allow_delete`` or ``allow_purge``, and ``force``, since removing every managed profile is unsafe
by design), and applying it refuses a stale plan. A production tenant refuses a teardown unless
forced with a reason (``guards.check_teardown``, asked by ``Project.teardown``).

>>> plan = await teardown_plan(client, TeardownOptions(tenant=url))     # doctest: +SKIP
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from reconcile.model.fields import JsonValue
from reconcile.model.observed import ObservedProfile
from reconcile.plan.options import PlanOptions
from reconcile.plan.value import Change, Plan
from reconcile.tenant.client import OmneoClient


class TeardownOptions(BaseModel):
    model_config = ConfigDict(frozen=True)

    tenant: str
    owner_handle: str = "reconcile"
    phone_region: str | None = None
    purge: bool = False
    inputs_digest: str = ""
    tenant_name: str | None = None  # recorded in the plan, with the variables its digest covers
    variables: dict[str, JsonValue] | None = None


async def teardown_plan(client: OmneoClient, options: TeardownOptions) -> Plan:
    """Delete (or purge) every managed profile; the plan records what each looked like."""
    listing = await client.list_identities(options.owner_handle)
    owned = {o.identifier: o.profile for o in listing if not o.profile.deleted}
    if options.purge:  # a soft-deleted profile is deleted already, but only a purge frees it
        for profile in await client.list_deleted_profiles():
            key = profile.identifier(options.owner_handle)
            if key is not None:
                owned.setdefault(key, profile)
    action = "purge" if options.purge else "delete"
    changes = tuple(_change(action, key, profile) for key, profile in sorted(owned.items()))
    chosen = PlanOptions(
        tenant=options.tenant,
        owner_handle=options.owner_handle,
        phone_region=options.phone_region,
        allow_delete=not options.purge,
        allow_purge=options.purge,
        tenant_name=options.tenant_name,
        variables=options.variables,
    )
    plan = Plan(
        options=chosen,
        inputs_digest=options.inputs_digest,
        changes=changes,
        managed=len(owned),
        api_calls=client.calls,
    )
    return plan.sealed()


def _change(action: str, key: str, profile: ObservedProfile) -> Change:
    return Change.model_validate(
        {
            "action": action,
            "key": key,
            "profile_id": profile.id,
            "fingerprint": profile.fingerprint(),
        }
    )
