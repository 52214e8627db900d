"""The PII policy and its masking, directly: reports show that something changed, never what."""

from __future__ import annotations

import pytest

from reconcile.model.fields import SCALAR_FIELDS
from reconcile.model.mask import MASK, is_pii, mask_value

PERSONAL = ["title", "first_name", "last_name", "email", "mobile_phone", "secondary_phone",
            "birth_day", "birth_month", "birth_year", "avatar_url"]  # fmt: skip


def test_the_policy_covers_every_personal_scalar_field_and_only_those() -> None:
    assert [name for name in PERSONAL if not is_pii(name)] == []
    assert {name for name in SCALAR_FIELDS if is_pii(name)} == set(PERSONAL) & set(SCALAR_FIELDS)
    for public in ("tags", "identities.shopify", "attributes.comms.sms_promo",
                   "custom_attributes.loyalty.tier", "company", "gender", "currency"):  # fmt: skip
        assert not is_pii(public), public
        assert mask_value(public, "Jane Citizen") == "Jane Citizen"


@pytest.mark.parametrize(
    ("field", "value", "masked"),
    [
        ("email", "jane.doe@example.com", "j***@example.com"),
        ("email", "no-domain", "n***"),
        ("mobile_phone", "+61412345678", "+61 4** *** 678"),
        ("secondary_phone", "+442079460958", "+44 2 *** *** 958"),
        ("mobile_phone", "not a phone", MASK),
        ("first_name", "Jane", "J***"),
        ("first_name", "", ""),
        ("birth_year", 1980, MASK),
        ("addresses", [{"city": "Sydney"}, {"city": "Perth"}], "(2 items, masked)"),
        ("addresses", [{"city": "Sydney"}], "(1 item, masked)"),
        ("dates.wedding.date", "2015-03-14", MASK),
        ("email", None, None),
    ],
)
def test_masking_keeps_the_shape_and_hides_the_value(
    field: str, value: object, masked: object
) -> None:
    assert mask_value(field, value) == masked  # type: ignore[arg-type]


def test_a_masked_phone_keeps_its_country_and_last_digits_only() -> None:
    masked = str(mask_value("mobile_phone", "+61412345678"))
    assert masked.startswith("+61 ") and masked.endswith("678")
    assert "12345" not in masked.replace(" ", "")
