"""A fixed scenario with every action and every conflict kind, built without a tenant.

The tenant side is a list of API-shaped profiles; the declared side is parsed as profiles.d/ would
be. Matching and diffing are the real ones (``assemble_plan``), so the golden reports change when
what a user would see changes. ``PII`` lists every personal value of the scenario.
"""

from __future__ import annotations

from typing import Any

from reconcile.model.desired import DesiredProfile
from reconcile.model.observed import ObservedProfile
from reconcile.plan.build import PlanOptions, assemble_plan
from reconcile.plan.cost import estimate
from reconcile.plan.match import TenantIndex
from reconcile.plan.value import Plan
from reconcile.profiles.loader import DeclaredProfiles

OWNER = "reconcile"
TENANT = "https://api.acme-test.getomneo.com/api/v3"


def _id(n: int) -> str:
    return f"00000000-0000-4000-8000-{n:012d}"


def _tenant_profile(n: int, owner_key: str | None = None, **fields: Any) -> dict[str, Any]:
    identities = dict(fields.pop("identities", {}))
    if owner_key:
        identities[OWNER] = owner_key
    return {
        "id": _id(n),
        **fields,
        "identities": [
            {"id": n * 10 + i, "handle": h, "identifier": v, "profile_id": _id(n)}
            for i, (h, v) in enumerate(sorted(identities.items()))
        ],
    }


TENANT_PROFILES = [
    _tenant_profile(
        1,
        "jane-doe",
        first_name="Jane",
        last_name="Doe",
        email="jane@example.com",
        mobile_phone="+61412000001",
        tags=["vip"],
        attributes={"comms": {"email_promo": True}},
        custom_attributes={"loyalty": {"tier": "gold"}},
        addresses=[
            {
                "address_line_1": "1 George Street",
                "city": "Sydney",
                "state": "NSW",
                "postcode": "2000",
                "country": "AU",
            }
        ],
    ),
    _tenant_profile(2, first_name="Priya", last_name="Sharmah", email="priya@example.com"),
    _tenant_profile(3, "sam-old", first_name="Samuel", email="sam@example.com"),
    _tenant_profile(4, "erased-customer", first_name="Erin", email="erin@example.com"),
    _tenant_profile(5, "tom-baker", first_name="Tom", email="tom.old@example.com"),
    _tenant_profile(6, first_name="Tomas", email="tom@example.com"),
    _tenant_profile(7, first_name="Christopher", identities={"shopify": "555"}),
    _tenant_profile(8, first_name="Chris", email="chris@example.com"),
    _tenant_profile(9, first_name="Kim", email="kim@example.com", mobile_phone="+61412000009"),
    _tenant_profile(10, "ann-swap", first_name="Ann", email="ann@example.com"),
    _tenant_profile(11, "ben-swap", first_name="Ben", email="ben@example.com"),
    _tenant_profile(12, "steady", first_name="Stella", email="stella@example.com"),
    _tenant_profile(
        13, "rosa-gone", first_name="Rosa", email="rosa@example.com", profile_type="deleted"
    ),
    _tenant_profile(14, "zoe", first_name="Zoe", email="zoe@example.com"),
]

DECLARED = [
    {
        "key": "alex-nguyen",
        "first_name": "Alex",
        "last_name": "Nguyen",
        "email": "alex.nguyen@example.com",
        "mobile_phone": "0412 345 678",
        "birth_day": 3,
        "tags": ["staff"],
    },
    {
        "key": "priya-sharma",
        "first_name": "Priya",
        "last_name": "Sharma",
        "email": "priya@example.com",
    },
    {
        "key": "jane-doe",
        "first_name": "Janet",
        "email": "jane.doe@example.com",
        "tags": ["vip", "staff"],
        "attributes": {"comms": {"email_promo": False}},
        "custom_attributes": {"loyalty": {"tier": "platinum"}},
        "addresses": [
            {
                "address_line_1": "1 George Street",
                "city": "Melbourne",
                "state": "VIC",
                "postcode": "3000",
                "country": "AU",
            }
        ],
    },
    {"key": "erased-customer", "state": "purged", "erasure": {"reference": "GDPR-2026-001"}},
    {"key": "tom-baker", "email": "tom@example.com"},
    {"key": "chris-lee", "email": "chris@example.com", "identities": {"shopify": "555"}},
    {"key": "kim-a", "email": "kim@example.com"},
    {"key": "kim-b", "mobile_phone": "+61412000009"},
    {"key": "ann-swap", "email": "ben@example.com"},
    {"key": "ben-swap", "email": "ann@example.com"},
    {"key": "steady", "first_name": "Stella"},
    {"key": "rosa-gone", "first_name": "Rosalind"},
    {"key": "zoe-smith", "previous_keys": ["zoe"], "last_name": "Smith"},
]

# Every personal value in the scenario: none may appear in a report with default masking.
PII = [
    "Jane", "Janet", "Doe", "jane@example.com", "jane.doe@example.com", "+61412000001",
    "George Street", "Sydney", "Melbourne", "Priya", "Sharma", "priya@example.com", "Samuel",
    "sam@example.com", "Erin", "erin@example.com", "tom.old@example.com", "Tomas",
    "tom@example.com", "Christopher", "chris@example.com", "kim@example.com", "+61412000009",
    "Ann", "ann@example.com", "Ben", "ben@example.com", "Stella", "stella@example.com",
    "Alex", "Nguyen", "alex.nguyen@example.com", "+61412345678", "412 345 678", "0412345678",
    "Rosa", "Rosalind", "rosa@example.com", "Zoe", "Smith", "zoe@example.com",
]  # fmt: skip


def declared_profiles(
    extra: list[dict[str, Any]] | None = None, leave_out: str = ""
) -> DeclaredProfiles:
    profiles = sorted(
        (
            DesiredProfile.model_validate(d, context={"phone_region": "AU"})
            for d in [*DECLARED, *(extra or [])]
            if d["key"] != leave_out
        ),
        key=lambda profile: profile.key,
    )
    return DeclaredProfiles(profiles=tuple(profiles), locations={}, digest="d" * 64)


def scenario_plan_without(
    key: str, extra: list[dict[str, Any]] | None = None, **overrides: Any
) -> Plan:
    """The scenario's plan with the declaration of ``key`` left out of profiles.d/."""
    return scenario_plan(extra, leave_out=key, **overrides)


def scenario_plan(
    extra: list[dict[str, Any]] | None = None, *, leave_out: str = "", **overrides: Any
) -> Plan:
    """The scenario's plan (unsealed: the tenant's values are still there, as `plan` has them)."""
    observed = [ObservedProfile.from_api(data) for data in TENANT_PROFILES]
    owned = {key: p for p in observed if (key := p.identifier(OWNER)) is not None}
    index = TenantIndex(OWNER)
    index.add(observed)
    settings: dict[str, Any] = {
        "tenant": TENANT,
        "owner_handle": OWNER,
        "phone_region": "AU",
        "allow_delete": True,
        "allow_purge": True,
        "allow_conflicts": True,
        "threshold_floor": 5,
    }
    options = PlanOptions.model_validate({**settings, **overrides})
    plan = assemble_plan(declared_profiles(extra, leave_out), owned, index, options, api_calls=7)
    # what build_plan adds, at the default tenant rate of 10 requests a second
    cost = estimate(
        plan.changes,
        managed=plan.managed,
        rps=10,
        threshold=options.threshold,
        threshold_floor=options.threshold_floor,
    )
    return plan.model_copy(update={"cost": cost})
