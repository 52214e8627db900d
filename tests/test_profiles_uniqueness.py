"""Checks across the whole tree, directly: one key, email, mobile and identity per profile."""

from __future__ import annotations

from typing import Any

from reconcile.model.declaration import Declaration
from reconcile.model.desired import DesiredProfile
from reconcile.model.fields import UniqueValue
from reconcile.plan.shard import ManagedKeys
from reconcile.profiles.uniqueness import (
    Digest,
    LoadedProfile,
    Outline,
    check_unique,
    outlined,
    value_digest,
)


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


def outlines(*items: LoadedProfile, keep: str = "", digest: Digest = value_digest) -> list[Any]:
    """``items`` as a shard selecting ``keep`` holds them: the others as outlines, whose values
    are read again (here: from ``items``) only when their digest matches another's."""
    by_key = {item.profile.key: item.profile for item in items}
    asked: list[str] = []

    def resolve(outline: Outline) -> tuple[UniqueValue, ...]:
        asked.append(outline.key)
        return by_key[outline.key].unique

    held = [outlined(item, lambda key: key == keep, resolve, digest) for item in items]
    return [held, asked]


def test_a_clash_across_shards_is_reported_with_both_places() -> None:
    ann = loaded("a.yaml", 1, key="ann", email="x@example.com")
    bob = loaded("b.yaml", 10, key="bob", email="x@example.com")
    cat = loaded("c.yaml", 20, key="cat", email="cat@example.com")
    for keep in ("ann", "bob", "cat"):
        held, asked = outlines(ann, bob, cat, keep=keep)
        assert any(isinstance(item.profile, Outline) for item in held)
        assert [str(p) for p in check_unique(held)[1]] == [
            "b.yaml:11: bob: email: also claimed by 'ann' at a.yaml:2; "
            "Omneo allows one profile per email"
        ]
        assert "cat" not in asked  # a value whose digest nobody shares is never read again


def test_a_collision_of_digests_is_not_a_clash() -> None:
    def colliding(_: UniqueValue) -> int:
        return 42  # every value the same digest

    ann = loaded("a.yaml", 1, key="ann", email="ann@example.com", mobile_phone="0412 345 678")
    bob = loaded("b.yaml", 10, key="bob", email="bob@example.com", mobile_phone="0412 345 679")
    held, asked = outlines(ann, bob, keep="ann", digest=colliding)
    assert check_unique(held, digest=colliding)[1] == []
    assert asked  # the real values were read to rule it out
    eve = loaded("e.yaml", 30, key="eve", email="bob@example.com")
    held, _ = outlines(ann, bob, eve, keep="eve", digest=colliding)
    assert [str(p) for p in check_unique(held, digest=colliding)[1]] == [
        "e.yaml:31: eve: email: also claimed by 'bob' at b.yaml:11; "
        "Omneo allows one profile per email"
    ]


def test_managed_keys_answer_by_digest_and_keep_keys_only_for_patterns() -> None:
    managed = ManagedKeys()
    for key in ("ann", "bob", "cat"):
        managed.add(key)
    assert ("bob" in managed, "dan" in managed, len(managed), managed.keys) == (
        True,
        False,
        3,
        None,
    )
    named = ManagedKeys(with_keys=True)
    named.add("ann")
    assert named.keys == {"ann"}
