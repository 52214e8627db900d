"""Export's key rules, directly: templates, fallbacks, stable suffixes for taken keys."""

from __future__ import annotations

from typing import Any

import pytest

from reconcile.errors import ConfigError
from reconcile.export.keys import KeyAllocator, KeyTemplate
from reconcile.model.observed import ObservedProfile

ID = "0203c4d5-0000-4000-8000-000000000001"


def tenant_profile(profile_id: str = ID, **fields: Any) -> ObservedProfile:
    identities = fields.pop("identities", [])
    return ObservedProfile.from_api({"id": profile_id, "identities": identities, **fields})


def test_the_template_comes_first_then_the_email_then_the_id() -> None:
    template = KeyTemplate.parse("{first_name}-{last_name}")
    keys = KeyAllocator(template, taken=set())
    assert keys.derive(tenant_profile(first_name="José", last_name="Álvarez")) == "jose-alvarez"
    assert keys.derive(tenant_profile(email="Sam.Lee@example.com")) == "sam.lee"
    assert keys.derive(tenant_profile()) == "profile-0203c4d5"


def test_an_identity_placeholder_reads_that_handle() -> None:
    shop = [{"id": 1, "profile_id": ID, "handle": "shopify", "identifier": "1001"}]
    keys = KeyAllocator(KeyTemplate.parse("crm-{identity:shopify}"), taken=set())
    assert keys.derive(tenant_profile(identities=shop)) == "crm-1001"


def test_a_taken_key_gets_a_suffix_from_the_profile_id_the_same_on_every_run() -> None:
    first = KeyAllocator(None, taken={"jane"}).derive(tenant_profile(email="jane@example.com"))
    again = KeyAllocator(None, taken={"jane"}).derive(tenant_profile(email="jane@example.com"))
    assert first == again
    assert first.startswith("jane-") and len(first) == len("jane-") + 6


def test_two_profiles_deriving_one_key_get_different_keys() -> None:
    keys = KeyAllocator(None, taken=set())
    one = keys.derive(tenant_profile("a1", email="jane@example.com"))
    two = keys.derive(tenant_profile("b2", email="jane@example.com"))
    assert one == "jane" and two.startswith("jane-") and two != one


def test_a_claimed_key_is_handed_out_once() -> None:
    keys = KeyAllocator(None, taken=set())
    assert keys.claim("ann") is True
    assert keys.claim("ann") is False
    assert keys.derive(tenant_profile(email="ann@example.com")) != "ann"


@pytest.mark.parametrize("text", ["{nickname}", "static-key"])
def test_a_template_without_known_placeholders_is_refused(text: str) -> None:
    with pytest.raises(ConfigError, match="--key-template"):
        KeyTemplate.parse(text)
