"""Which owner handles manage profiles on a tenant, so that no project takes another's profiles.

Every apply with an owner handle other than the default registers it on the tenant: a profile of
type ``system`` holding the identity ``reconcile-owner`` / HANDLE, created once and kept (later
creates answer 422: already registered). Plan (when it sees a profile it might adopt) and export
list that handle's identities, one request, to learn every owner handle in use: a tenant profile
carrying an identity of another one is managed by another project, so plan never adopts it (a
conflict naming that owner) and export never copies an owner identity into files. The default
owner handle ``reconcile`` counts as registered always: it is the one a project uses before it
configures its own.

>>> others = await other_owners(client, "shop-b")     # doctest: +SKIP
>>> sorted(others)                                    # doctest: +SKIP
['reconcile', 'shop-a']
"""

from __future__ import annotations

import re

from reconcile.errors import ApiError
from reconcile.model.fields import JsonValue
from reconcile.tenant.client import OmneoClient
from reconcile.tenant.lock_record import LOCK_HANDLE

OWNERS_HANDLE = "reconcile-owner"
DEFAULT_OWNER = "reconcile"
# Handles of the tool's own bookkeeping profiles: never a customer's identity.
SYSTEM_HANDLES = frozenset({LOCK_HANDLE, OWNERS_HANDLE})


async def register_owner(client: OmneoClient, owner: str) -> None:
    """Make sure ``owner`` is registered on the tenant (one request: a create, 422 if it is)."""
    local = re.sub(r"[^a-z0-9._-]", "-", owner.lower()).strip(".") or "owner"
    payload: dict[str, JsonValue] = {
        "first_name": "reconcile",
        "last_name": "owner handle",
        "email": f"{OWNERS_HANDLE}.{local}@example.com",
        "profile_type": "system",
        "identities": [{"handle": OWNERS_HANDLE, "identifier": owner}],
    }
    try:
        await client.create_profile(payload)
    except ApiError as exc:
        if exc.status != 422:  # 422: registered already (the identity is taken)
            raise


async def other_owners(client: OmneoClient, owner: str) -> frozenset[str]:
    """Every owner handle registered on the tenant but ``owner`` (one request)."""
    registered = {item.identifier for item in await client.list_identities(OWNERS_HANDLE)}
    return frozenset({DEFAULT_OWNER, *registered} - {owner})
