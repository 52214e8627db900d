"""Tear down a test tenant: a plan that deletes (or purges) every profile this project manages.

Managed profiles are those carrying the owner identity, found by one paginated listing of that
handle; with ``purge``, the soft-deleted ones too (the tenant keeps them, with their email, mobile
and identities, until they are purged), found by the listing of deleted profiles. Nothing else on
the tenant is ever part of the plan. The plan is an ordinary plan: it is
shown, saved and applied like any other, and applying it refuses a stale plan.

>>> plan = await teardown_plan(client, TeardownOptions(tenant=url))     # doctest: +SKIP
>>> result = await apply_teardown(plan, target, Journal.beside(path))  # doctest: +SKIP
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from reconcile.apply.carry import ApplyOptions, ApplyResult
from reconcile.apply.executor import ProgressCallback
from reconcile.apply.guards import Override, check_teardown
from reconcile.apply.journal import Journal
from reconcile.apply.session import Notice, apply_reviewed
from reconcile.model.fields import JsonValue
from reconcile.model.observed import ObservedProfile
from reconcile.plan.options import PlanOptions
from reconcile.plan.value import Change, Plan
from reconcile.profiles.loader import DeclaredProfiles
from reconcile.settings import Target
from reconcile.tenant.client import OmneoClient
from reconcile.tenant.lock import Holder


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


async def apply_teardown(
    plan: Plan,
    target: Target,
    journal: Journal,
    *,
    override: Override | None = None,
    on_progress: ProgressCallback | None = None,
    on_notice: Notice | None = None,
) -> ApplyResult:
    """Carry out a teardown plan just shown and confirmed, journalling beside the saved plan.

    A production tenant refuses it unless ``override`` gives ``force`` and a reason; then it runs
    through :func:`~reconcile.apply.session.apply_reviewed` (tenant check, lock, journal). It
    needs no ``profiles.d/``: a teardown changes nothing that the files declare.
    """
    note = check_teardown(target, override=override or Override())
    if note and on_notice is not None:
        on_notice(note)
    declared = DeclaredProfiles(profiles=(), locations={}, digest=plan.inputs_digest)
    # Removing every managed profile is unsafe by design (trust.py); the person just confirmed it.
    options = ApplyOptions(
        allow_delete=True, allow_purge=True, force=True, concurrency=target.concurrency
    )
    holder = Holder.here(f"teardown ({journal.path.name})")
    return await apply_reviewed(
        plan,
        declared,
        target,
        journal,
        options,
        holder=holder,
        on_progress=on_progress,
        on_notice=on_notice,
    )
