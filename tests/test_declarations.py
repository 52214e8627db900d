"""Declared profiles are held in their compact form, and nothing a plan reads changes with it.

Every test runs with the fast paths and without them (``RECONCILE_NO_FAST_PATHS=1``): a model
revived from the cache is built by ``parts.constructed`` from pydantic's private attributes, or
by pydantic's own ``model_construct``; either must equal the validated model.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import BaseModel

from reconcile import DeclaredProfiles, DesiredProfile
from reconcile.model import declaration, parts
from reconcile.model.declaration import Declaration
from reconcile.model.fields import unique_values
from reconcile.model.observed import ObservedProfile
from reconcile.profiles.loader import load_profiles

pytestmark = pytest.mark.usefixtures("fast_paths")

FULL = """\
profiles:
  - key: jane
    email: " Jane@Example.com "
    mobile_phone: "0412 345 678"
    first_name: jane
    tags: [vip, "mobile app"]
    identities: {shopify: "sh-1", pos: "7"}
    attributes: {comms: {email_promo: true}}
    custom_attributes: {loyalty: {tier: gold, points: {type: integer, value: 3}}}
    addresses:
      - {address_line_1: "1 Main St", city: Sydney, state: NSW, postcode: "2000", country: AU}
    dates: {anniversary: {date: "2020-02-29"}}
    previous_keys: [jane-old]
  - key: gone
    state: purged
    erasure: {reference: GDPR-1}
"""


def write_tree(root: Path) -> Path:
    profiles = root / "profiles.d"
    profiles.mkdir()
    (profiles / "people.yaml").write_text(FULL, encoding="utf-8")
    return profiles


def test_a_cached_load_gives_the_declarations_a_fresh_load_gives(tmp_path: Path) -> None:
    profiles = write_tree(tmp_path)
    cache = tmp_path / "cache"

    fresh = load_profiles(profiles, phone_region="AU")
    cold = load_profiles(profiles, phone_region="AU", cache_dir=cache)
    warm = load_profiles(profiles, phone_region="AU", cache_dir=cache)

    assert warm.cached == 1 and cold.cached == 0
    for declared in (cold, warm):
        assert declared.profiles == fresh.profiles
        for mine, theirs in zip(declared.profiles, fresh.profiles, strict=True):
            assert mine.unique == theirs.unique
            assert mine.previous_keys == theirs.previous_keys
            assert mine.erasure_reference == theirs.erasure_reference
            assert mine.profile == theirs.profile  # the full model, revived from the cache


def test_the_compact_form_carries_what_the_model_declares(tmp_path: Path) -> None:
    declared = load_profiles(write_tree(tmp_path), phone_region="AU").by_key()
    jane, gone = declared["jane"], declared["gone"]

    assert jane.view == jane.profile.flat_view()
    assert jane.unique == tuple(unique_values(jane.view))
    assert jane.unique == (
        ("identities.pos", "7"),
        ("identities.shopify", "sh-1"),
        ("email", "jane@example.com"),
        ("mobile_phone", "+61412345678"),
    )
    assert jane.previous_keys == ("jane-old",) and not jane.is_tombstone
    assert gone.is_tombstone and gone.unique == () and gone.erasure_reference == "GDPR-1"
    # The flat view a caller gets is its own copy; the declaration's stays as loaded.
    jane.flat_view()["email"] = "changed@example.com"
    assert jane.view["email"] == "jane@example.com"


def test_a_library_caller_may_hand_over_models() -> None:
    model = DesiredProfile.model_validate({"key": "ann", "email": "ann@example.com"})

    declared = DeclaredProfiles(profiles=(model,), locations={}, digest="d" * 64)

    assert declared.profiles == (Declaration.of(model),)
    assert declared.by_key()["ann"].profile == model


def test_a_damaged_cache_entry_is_read_again_not_trusted(tmp_path: Path) -> None:
    profiles = write_tree(tmp_path)
    cache = tmp_path / "cache"
    load_profiles(profiles, phone_region="AU", cache_dir=cache)
    (entry,) = cache.glob("*.json")
    digest, _, payload = entry.read_bytes().partition(b"\n")
    entries = json.loads(payload)
    declaration = entries[0]["declaration"]
    declaration["values"] = declaration["values"].replace("jane@", "mallory@")
    assert "mallory@example.com" in declaration["values"]
    entry.write_bytes(digest + b"\n" + json.dumps(entries).encode())

    again = load_profiles(profiles, phone_region="AU", cache_dir=cache)

    assert again.cached == 0
    assert again.by_key()["jane"].view["email"] == "jane@example.com"


@pytest.mark.parametrize(
    "identities",
    [
        [],
        [
            {"id": 3, "handle": "pos", "identifier": "new"},
            {"id": 1, "handle": "pos", "identifier": "old"},
        ],
        [
            {"id": 9, "handle": "shopify", "identifier": "s"},
            {"id": 2, "handle": "a.b", "identifier": "dotted"},
            {"id": 5, "handle": "pos", "identifier": "p"},
        ],
    ],
)  # fmt: skip
def test_a_fetched_profile_holds_the_unique_values_its_view_shows(
    identities: list[dict[str, object]],
) -> None:
    observed = ObservedProfile.from_api(
        {"id": 1, "email": "a@x.io", "mobile_phone": None, "identities": identities}
    )

    assert observed.unique == tuple(unique_values(observed.fields))


def test_a_pydantic_release_without_the_private_attributes_gets_model_construct(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert parts.private_parts_found() and parts.PRIVATE_PARTS_FOUND
    monkeypatch.setattr(BaseModel, "__slots__", ("__dict__", "__pydantic_fields_set__"))
    assert not parts.private_parts_found()


def test_shapes_past_the_bound_are_held_unshared(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(declaration, "_KEPT", 0)  # as if the process had seen 4,096 shapes
    model = DesiredProfile.model_validate(
        {"key": "zed", "email": "zed@example.com", "identities": {"unseen-shape": "z1"}}
    )
    zed = Declaration.of(model)
    again = Declaration.from_entry(json.loads(json.dumps(zed.entry())))

    assert again == zed and again.view == model.flat_view()
    assert again.unique == (("identities.unseen-shape", "z1"), ("email", "zed@example.com"))
    assert (
        zed.names == ("email", "identities.unseen-shape") and zed.names not in declaration._SHAPES
    )
