"""A fetched profile's flat view: what it holds, what it leaves out, and a fingerprint that plans
saved by the previous version still match."""

from __future__ import annotations

import asyncio
import dataclasses
import json
from pathlib import Path
from typing import Any

import httpx
import pydantic
import pytest
from hypothesis import given
from hypothesis import strategies as st

from reconcile.model.declaration import Declaration
from reconcile.model.desired import DesiredProfile
from reconcile.model.observed import Fields, ObservedProfile
from reconcile.plan.diff import changed_fields
from reconcile.sandbox import DEFAULT_TOKEN, SandboxConfig, create_app
from reconcile.tenant.client import OmneoClient
from reconcile.tenant.responses import OwnedProfile

BODY: dict[str, Any] = {
    "id": "6f1c2e0a-0000-4000-8000-000000000001",
    "first_name": "Ann",
    "last_name": "Lee",
    "email": "ann@example.com",
    "mobile_phone": None,
    "title": None,
    "birth_day": "7",
    "birth_month": 3,
    "birth_year": None,
    "tags": ["vip", 10, "bench", 9],
    "identities": [
        {"id": 12, "handle": "pos", "identifier": "pos-2"},
        {"id": 3, "handle": "reconcile", "identifier": "ann"},
        {"id": 5, "handle": "pos", "identifier": "pos-1"},
    ],
    "attributes": {
        "comms": {
            "email_promo": True,
            "sms_promo": None,
            "email_optout": False,
            "terms_accepted_version": "v2",
            "profile_id": "x",
            "updated_at": "2026-01-01",
        },
        "dates": [
            {"id": 9, "handle": "wedding", "date": "2015-03-14", "is_recurring": True},
            {"id": 4, "handle": "wedding", "date": "2001-01-01"},
            {"id": 6, "date": "2002-02-02"},
        ],
    },
    "custom_attributes": {"loyalty": {"tier": "gold", "points": 2**70}, "z": {"a": [1, 2]}},
    "addresses": [{"id": 1, "city": "Sydney", "postcode": None, "country": "AU", "notes": ""}],
}


def fetched(body: dict[str, Any]) -> ObservedProfile:
    return ObservedProfile.from_api(json.loads(json.dumps(body)))  # fresh objects, as decoded


def test_the_view_holds_set_values_and_leaves_unset_ones_out() -> None:
    observed = fetched(BODY)

    assert observed.fields == {
        "first_name": "Ann",
        "last_name": "Lee",
        "email": "ann@example.com",
        "birth_day": 7,
        "birth_month": 3,
        "tags": ["10", "9", "bench", "vip"],
        "identities.pos": "pos-1",
        "identities.reconcile": "ann",
        "attributes.comms.email_promo": True,
        "attributes.comms.email_optout": False,
        "attributes.comms.terms_accepted_version": "v2",
        "custom_attributes.loyalty.points": 2**70,
        "custom_attributes.loyalty.tier": "gold",
        "custom_attributes.z.a": [1, 2],
        "addresses": [{"city": "Sydney", "country": "AU", "notes": ""}],
        "dates.wedding": {"date": "2001-01-01"},
    }
    for unset in ("title", "mobile_phone", "birth_year", "attributes.comms.sms_promo"):
        assert observed.fields.get(unset) is None
    assert [(i.id, i.handle, i.identifier) for i in observed.identities] == [
        ("3", "reconcile", "ann"),
        ("5", "pos", "pos-1"),
        ("12", "pos", "pos-2"),
    ]  # ids are opaque text, numeric ones ordered by their number
    assert observed.identifier("pos") == "pos-1" and observed.date_id("wedding") == "4"


def test_fingerprints_are_the_ones_plans_saved_by_the_previous_version_hold() -> None:
    # Computed by the view that held every scalar field, null or not (before 30 November 2026).
    observed = fetched(BODY)

    assert observed.fingerprint() == "fd034298655157cb"
    assert observed.model_copy(update={"profile_type": "deleted"}).fingerprint() == (
        "01d834e910b1cefb"
    )
    moved = fetched({**BODY, "title": "Dr"})
    assert moved.fingerprint() != observed.fingerprint()


def test_a_fetched_profile_is_a_frozen_model_like_any_other() -> None:
    observed = fetched(BODY)
    constructed = ObservedProfile.model_construct(
        id=observed.id,
        profile_type="active",
        identities=observed.identities,
        fields=observed.fields,
        date_ids=observed.date_ids,
        unreadable=None,
    )

    assert observed == constructed and observed.model_fields_set == constructed.model_fields_set
    assert observed.model_copy(update={"profile_type": "deleted"}).deleted
    with pytest.raises(pydantic.ValidationError):
        observed.id = "other"  # type: ignore[misc]
    identity = observed.identities[0]
    assert identity == type(identity)("3", "reconcile", "ann")
    assert hash(identity) == hash(type(identity)("3", "reconcile", "ann"))
    with pytest.raises(dataclasses.FrozenInstanceError):
        identity.identifier = "other"  # type: ignore[misc]


def test_values_profiles_repeat_are_held_once(tmp_path: Path) -> None:
    people = [
        {"first_name": "Ann", "email": f"ann{n}@example.com", "tags": ["vip"],
         "identities": [{"handle": "reconcile", "identifier": f"ann-{n}"}],
         "addresses": [{"address_line_1": f"{n} Main St", "city": "Sydney", "state": "NSW",
                        "postcode": "2000", "country": "AU"}]}
        for n in range(2)
    ]  # fmt: skip

    async def go(client: OmneoClient) -> list[OwnedProfile]:
        for body in people:
            await client.create_profile(body)
        return await client.list_identities("reconcile")

    one, two = run(tmp_path, go)

    for name in ("first_name", "tags"):
        assert one.profile.fields[name] == two.profile.fields[name]
    assert one.profile.fields["first_name"] is two.profile.fields["first_name"]
    assert one.profile.fields["tags"][0] is two.profile.fields["tags"][0]
    assert one.profile.fields["addresses"][0]["city"] is two.profile.fields["addresses"][0]["city"]
    assert one.profile.fields["tags"] is not two.profile.fields["tags"]  # lists are not shared
    assert one.identifier is one.profile.identifier("reconcile") == "ann-0"


def run(tmp_path: Path, calls: Any) -> Any:
    async def go() -> Any:
        transport = httpx.ASGITransport(app=create_app(SandboxConfig(db_path=tmp_path / "t.db")))
        headers = {"Authorization": f"Bearer {DEFAULT_TOKEN}"}
        async with httpx.AsyncClient(
            base_url="http://sandbox.local/api/v3/", headers=headers, transport=transport
        ) as http:
            return await calls(OmneoClient(http))

    return asyncio.run(go())


def test_a_view_is_held_as_values_beside_names_profiles_of_a_shape_share() -> None:
    ann, bob = fetched(BODY), fetched({**BODY, "first_name": "Bob", "email": "bob@example.com"})
    plain = dict(ann.fields)

    assert isinstance(ann.fields, Fields) and ann.fields == plain and plain == ann.fields
    assert ann.fields._at is bob.fields._at  # one map of names to positions for the shape
    assert bob.fields["first_name"] == "Bob" and "first_name" in bob.fields
    assert "title" not in bob.fields and bob.fields.get("title", "none") == "none"
    with pytest.raises(KeyError):
        bob.fields["title"]
    with pytest.raises(TypeError):
        bob.fields["first_name"] = "Cat"  # type: ignore[index]
    # The fingerprint of a view a caller builds as a dict is the fetched one's.
    assert ann.model_copy(update={"fields": plain}).fingerprint() == ann.fingerprint()
    declared = Declaration.of(DesiredProfile.model_validate({"key": "ann", "first_name": "Ann"}))
    assert declared.same_as(ann.fields) and not declared.same_as(bob.fields)
    assert declared.same_as(plain) and changed_fields(declared.view, bob.fields) == ["first_name"]


NAMES = st.sampled_from(["email", "title", "tags", "identities.pos", "mobile_phone"])
VALUES = st.sampled_from([None, 0, 1, True, False, "", "a", [], ["a"], {"a": 1}])


@given(
    declared=st.dictionaries(NAMES, VALUES, max_size=4),
    fetched=st.dictionaries(NAMES, VALUES, max_size=5),
    unique=st.lists(NAMES, max_size=3, unique=True),
)
def test_a_declaration_compares_with_a_fetched_view_as_with_a_dict(
    declared: dict[str, Any], fetched: dict[str, Any], unique: list[str]
) -> None:
    """Picked by position or looked up by name, a comparison gives the same answer; a name the
    view lacks reads as None either way."""
    held = tuple((name, declared.get(name)) for name in unique)
    declaration = Declaration(key="k", state="present", previous_keys=(), erasure_reference=None,
                              view=declared, dump="{}", unique=held)  # fmt: skip
    view = Fields(fetched)

    same = all(fetched.get(name) == value for name, value in declared.items())
    assert declaration.same_as(view) is same and declaration.same_as(fetched) is same
    holds = all(fetched.get(name) == value for name, value in held)
    assert declaration.holds_unique(view) is holds and declaration.holds_unique(fetched) is holds
