"""Every form a tenant may answer in is read as the same observed profile, and a part no rule
reads is named, masked, while the rest is still read (docs/tenant-compatibility.md)."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from reconcile.model.desired import DesiredProfile
from reconcile.model.observed import ObservedProfile

REFERENCE: dict[str, Any] = {
    "id": "6f1c2e0a-0000-4000-8000-000000000001",
    "first_name": "Ann",
    "email": "ann@example.com",
    "birth_day": 7,
    "birth_year": 1990,
    "joined_at": "2020-05-01 10:00:00",
    "joined_location_id": 12,
    "tags": ["vip"],
    "identities": [
        {"id": 12, "handle": "pos", "identifier": "pos-2"},
        {"id": 3, "handle": "pos", "identifier": "pos-1"},
        {"id": 5, "handle": "reconcile", "identifier": "ann"},
    ],
    "attributes": {
        "comms": {"email_promo": True, "terms_accepted_at": "2021-01-02 03:04:05"},
        "appearance": {},
        "dates": [{"id": 9, "handle": "wedding", "date": "2015-03-14"}],
    },
    "custom_attributes": {"loyalty": {"tier": "gold", "ratio": 3}, "empty": {}},
    "addresses": [{"id": 1, "city": "Sydney", "postcode": "2000", "is_default": True}],
}


def sdk_forms(body: dict[str, Any]) -> dict[str, Any]:
    """The same profile as the SDK's types show it."""
    sdk = copy.deepcopy(body)
    sdk.update(birth_day="7", birth_year="1990", joined_location_id="12",
               joined_at="2020-05-01T10:00:00.000000Z")  # fmt: skip
    for identity in sdk["identities"]:
        identity["id"] = str(identity["id"])
    sdk["attributes"]["comms"]["terms_accepted_at"] = "2021-01-02T03:04:05+00:00"
    sdk["attributes"]["appearance"] = []
    sdk["attributes"]["dates"][0]["id"] = "9"
    sdk["custom_attributes"] = [
        {"id": "1", "profile_id": sdk["id"], "namespace": "loyalty", "handle": "tier",
         "type": "string", "value": "gold", "created_at": "2020-01-01T00:00:00Z"},
        {"id": "2", "profile_id": sdk["id"], "namespace": "loyalty", "handle": "ratio",
         "type": "float", "value": 3},
    ]  # fmt: skip
    sdk["addresses"][0].update(id="1", meta=[], address_line_2=None)
    sdk.update(is_completed=True, custom_fields=[], statuses_original=[], regions=[],
               organisations=[], mobile_phone_country="AU", something_new={"x": 1})  # fmt: skip
    return sdk


def test_both_forms_are_read_as_the_same_profile() -> None:
    reference = ObservedProfile.from_api(copy.deepcopy(REFERENCE))
    sdk = ObservedProfile.from_api(sdk_forms(REFERENCE))

    assert sdk.fields == reference.fields and sdk.unreadable is reference.unreadable is None
    assert sdk.fingerprint() == reference.fingerprint()
    assert reference.fields["identities.pos"] == "pos-1"  # the oldest by its number: 3 < 12
    assert reference.fields["birth_day"] == 7 and reference.fields["joined_location_id"] == 12
    assert reference.date_id("wedding") == sdk.date_id("wedding") == "9"
    assert [i.id for i in sdk.identities] == ["3", "5", "12"]


@pytest.mark.parametrize(
    "answered",
    [
        "2020-05-01 10:00:00",
        "2020-05-01T10:00:00Z",
        "2020-05-01T10:00:00.000000Z",
        "2020-05-01T10:00:00+00:00",
        "2020-05-01T10:00:00+10:00",
    ],
)
def test_a_timestamp_in_either_form_equals_the_declared_one(answered: str) -> None:
    observed = ObservedProfile.from_api({"id": "p", "joined_at": answered})
    declared = DesiredProfile.model_validate({"key": "ann", "joined_at": "2020-05-01T10:00:00Z"})

    assert observed.fields["joined_at"] == declared.flat_view()["joined_at"]


def test_text_ids_that_are_not_numbers_are_kept_as_text() -> None:
    identities = [
        {"id": "idt-b", "handle": "pos", "identifier": "2"},
        {"id": "idt-a", "handle": "pos", "identifier": 1},
    ]
    body = {"id": "p", "identities": identities}
    observed = ObservedProfile.from_api(body)

    assert observed.fields["identities.pos"] == "1" and observed.unreadable is None


@pytest.mark.parametrize(
    ("part", "value", "field", "received"),
    [
        ("custom_attributes", 42, "custom_attributes", "a number (42)"),
        ("custom_attributes", [{"handle": "x"}], "custom_attributes", "an object of 1 key"),
        ("tags", "vip", "tags", 'text "vip"'),
        ("email", ["ann@example.com"], "email", "a list of 1 item"),
        ("first_name", 7, "first_name", "a number (***)"),
        ("birth_day", "seventh", "birth_day", 'text "s***"'),
        ("joined_at", "yesterday", "joined_at", 'text "yesterday"'),
        ("addresses", [{"city": 5}], "addresses.city", "a number (***)"),
        ("attributes", "x", "attributes", 'text "x"'),
        ("identities", [{"id": 1, "handle": "pos"}], "identities", "an object of 2 keys"),
    ],
)
def test_a_part_no_rule_reads_is_named_masked_and_the_rest_is_read(
    part: str, value: Any, field: str, received: str
) -> None:
    body = {**copy.deepcopy(REFERENCE), part: value}
    observed = ObservedProfile.from_api(body)

    assert observed.unreadable is not None
    assert (observed.unreadable.field, observed.unreadable.received) == (field, received)
    readable = ObservedProfile.from_api(copy.deepcopy(REFERENCE))
    for name in ("email", "identities.reconcile", "custom_attributes.loyalty.tier"):
        if not name.startswith(part):  # the other parts are still read
            assert observed.fields[name] == readable.fields[name]
    assert observed.fingerprint() != readable.fingerprint()  # never mistaken for a readable one


def test_a_comms_flag_in_another_form_is_unreadable_and_the_message_is_one_line() -> None:
    body = {"id": "p", "attributes": {"comms": {"email_promo": "yes\nEVIL"}}}
    observed = ObservedProfile.from_api(body)

    assert observed.unreadable is not None
    message = observed.unreadable.message(observed.id)
    assert "\n" not in message
    assert message.startswith("tenant profile p cannot be read: attributes.comms.email_promo is")


def test_a_profile_without_an_id_or_not_an_object_is_named_so() -> None:
    assert ObservedProfile.from_api([1, 2]).unreadable is not None
    nameless = ObservedProfile.from_api({"email": "x@example.com"})
    assert nameless.id == "(no id)" and nameless.unreadable is not None
    assert nameless.fields["email"] == "x@example.com"
