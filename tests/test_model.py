"""The declared-profile model: its rules, its flat view, and its cache round trip."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from reconcile.model.desired import DesiredProfile


def errors_of(data: dict[str, Any]) -> list[tuple[str, str]]:
    with pytest.raises(ValidationError) as raised:
        DesiredProfile.model_validate({"key": "k", **data}, context={"phone_region": "AU"})
    return [(".".join(map(str, e["loc"])), e["msg"]) for e in raised.value.errors()]


@pytest.mark.parametrize(
    ("day", "month", "year", "valid"),
    [
        (29, 2, None, True),
        (29, 2, 2024, True),
        (29, 2, 2023, False),
        (31, 4, None, False),
        (31, 12, 1999, True),
    ],
)
def test_birth_parts_must_form_a_real_date(
    day: int, month: int, year: int | None, valid: bool
) -> None:
    data = {"key": "k", "birth_day": day, "birth_month": month, "birth_year": year}
    if valid:
        assert DesiredProfile.model_validate(data).birth_day == day
    else:
        assert errors_of(data)[0][0] == "birth_day"


def test_a_birth_day_alone_is_not_checked_against_a_month() -> None:
    assert DesiredProfile.model_validate({"key": "k", "birth_day": 31}).birth_day == 31


def test_a_tombstone_holds_no_personal_data() -> None:
    assert (
        errors_of({"state": "purged", "erasure": {"reference": "R-1"}, "first_name": "A"})[0][0]
        == "first_name"
    )
    tombstone = DesiredProfile.model_validate({"key": "k", "state": "absent"})
    assert tombstone.is_tombstone and tombstone.flat_view() == {}


def test_unknown_comms_flags_are_reported_at_their_own_path() -> None:
    found = errors_of({"attributes": {"comms": {"email_promoo": True}}})
    assert found == [("attributes.comms.email_promoo", "Extra inputs are not permitted")]


def test_comms_merge_per_flag_in_the_flat_view() -> None:
    profile = DesiredProfile.model_validate(
        {"key": "k", "attributes": {"comms": {"email_promo": True, "sms_optout": None}}}
    )
    assert profile.flat_view() == {
        "attributes.comms.email_promo": True,
        "attributes.comms.sms_optout": None,
    }


def test_custom_attributes_infer_their_type_or_take_it_declared() -> None:
    profile = DesiredProfile.model_validate(
        {"key": "k", "custom_attributes": {"ns": {"a": 1, "b": {"type": "float", "value": 2}}}}
    )
    assert profile.custom_type("ns", "a") == "integer"
    assert profile.custom_type("ns", "b") == "float"


def test_a_dump_of_the_declared_fields_validates_back_to_the_same_profile() -> None:
    original = DesiredProfile.model_validate(
        {
            "key": "k",
            "email": " A@B.CO ",
            "company": None,
            "tags": ["a b"],
            "attributes": {"comms": {"sms_promo": False}},
            "custom_attributes": {"ns": {"h": [1, 2]}},
            "addresses": [
                {"address_line_1": "1 A St", "city": "C", "state": "S", "postcode": "1",
                 "country": "AU"}
            ],
        },
        context={"phone_region": "AU"},
    )  # fmt: skip
    dumped = original.model_dump(mode="json", exclude_unset=True)

    revived = DesiredProfile.model_validate(dumped, context={"phone_region": "AU"})

    assert revived == original
    assert revived.flat_view() == original.flat_view()
