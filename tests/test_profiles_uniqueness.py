"""Checks across the whole tree, directly: one key, email, mobile and identity per profile."""

from __future__ import annotations

from typing import Any

from reconcile.model.declaration import Declaration
from reconcile.model.desired import DesiredProfile
from reconcile.profiles.uniqueness import LoadedProfile, check_unique


def loaded(file: str, line: int = 1, **fields: Any) -> LoadedProfile:
    profile = DesiredProfile.model_validate(fields, context={"phone_region": "AU"})
    return LoadedProfile(
        Declaration.of(profile), file, line, lines={"email": line + 1, "mobile_phone": line + 2}
    )


def messages(*items: LoadedProfile, owner: str | None = None) -> list[str]:
    return [str(problem) for problem in check_unique(list(items), owner_handle=owner)[1]]


def test_distinct_profiles_pass_and_keep_their_order() -> None:
    a = loaded("a.yaml", key="ann", email="ann@example.com")
    b = loaded("b.yaml", key="bob", email="bob@example.com")
    kept, problems = check_unique([a, b])
    assert (kept, problems) == ([a, b], [])


def test_a_duplicate_key_is_reported_at_the_second_naming_the_first() -> None:
    assert messages(loaded("a.yaml", 3, key="ann"), loaded("b.yaml", 7, key="ann")) == [
        "b.yaml:7: ann: key: duplicate key; first declared at a.yaml:3"
    ]


def test_a_key_alive_and_a_tombstone_is_a_contradiction() -> None:
    alive, tomb = loaded("a.yaml", key="ann"), loaded("gone.yaml", key="ann", state="absent")
    assert "a tombstone for a key declared alive at a.yaml:1" in messages(alive, tomb)[0]


def test_an_email_mobile_or_identity_claimed_twice_names_both_places() -> None:
    found = messages(
        loaded("a.yaml", 1, key="ann", email="x@example.com", mobile_phone="0412 345 678",
               identities={"pos": "7"}),
        loaded("b.yaml", 10, key="bob", email=" X@Example.com", mobile_phone="+61412345678",
               identities={"pos": "7"}),
    )  # fmt: skip
    assert found == [
        "b.yaml:10: bob: identities.pos: also claimed by 'ann' at a.yaml:1; "
        "Omneo allows one profile per identity",
        "b.yaml:11: bob: email: also claimed by 'ann' at a.yaml:2; "
        "Omneo allows one profile per email",
        "b.yaml:12: bob: mobile_phone: also claimed by 'ann' at a.yaml:3; "
        "Omneo allows one profile per mobile number",
    ]


def test_tombstones_claim_nothing() -> None:
    assert messages(loaded("a.yaml", key="ann"), loaded("b.yaml", key="bob", state="absent")) == []


def test_the_owner_handle_may_not_be_declared() -> None:
    found = messages(
        loaded("a.yaml", key="ann", identities={"reconcile": "ann"}), owner="reconcile"
    )
    assert found and "is reconcile's owner identity" in found[0]


def test_a_previous_key_is_never_a_current_key_nor_claimed_twice() -> None:
    current = loaded("a.yaml", key="ann")
    renamed = loaded("b.yaml", key="bob", previous_keys=["ann"])
    assert "'ann' is the key of a profile declared at a.yaml" in messages(current, renamed)[0]
    first = loaded("c.yaml", key="cat", previous_keys=["old"])
    second = loaded("d.yaml", key="dan", previous_keys=["old"])
    assert "'old' is also a previous key of 'cat'" in messages(first, second)[0]
