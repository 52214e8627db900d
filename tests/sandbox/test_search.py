"""Typo-tolerant ``?search=`` through real HTTP, and the ranking rules on the index directly."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from reconcile.sandbox.storage.search import Index, allowed_typos, profile_tokens, rank
from tests.conftest import both_answer_styles

MakeProfile = Callable[..., dict[str, Any]]


def index_of(people: dict[int, tuple[str, str, str, str | None]]) -> Index:
    postings: dict[str, set[int]] = {}
    for seq, person in people.items():
        for token in profile_tokens(*person):
            postings.setdefault(token, set()).add(seq)
    return Index(sorted(postings), {t: frozenset(s) for t, s in postings.items()})


PEOPLE = index_of(
    {
        1: ("Jane", "Smith", "jane.smith@example.com", "+61412345678"),
        2: ("Jana", "Smyth", "jana@example.org", None),
        3: ("Katherine", "Zoë", "kz@example.com", None),
        4: ("Janet", "Jones", "jj@example.com", None),
        5: ("Jon", "Bo", "jon@example.com", None),
    }
)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("jane", [1, 4, 2]),  # exact first, then prefix (Janet), then one typo (Jana)
        ("jnae", [1]),  # a transposition is one typo (Jana would need two)
        ("jnaa", [2]),
        ("jan", [1, 2, 4]),  # three letters: prefixes only, no typo ("jon" is no "jan")
        ("catherine", [3]),  # one typo in 9 letters
        ("katharyne", [3]),  # two typos from 8 letters
        ("kathxxyne", []),  # three typos is too many
        ("zoe", [3]),  # accents folded
        ("jane smith", [1, 2]),  # every word matches: Jana Smyth has one typo in each
        ("smith jane", [1, 2]),
        ("jane jones", [4]),  # Janet: one typo when not the last word, a prefix when last
        ("jones jane", [4]),
        ("jane.smith@exmple.com", [1]),  # an email with a typo
        ("0412345678", [1]),  # the mobile as written nationally
        ("+61412345678", [1]),
        ("", []),
    ],
)
def test_ranking_rules(query: str, expected: list[int]) -> None:
    assert rank(PEOPLE, query) == expected


def test_allowed_typos() -> None:
    assert [allowed_typos("x" * n) for n in (3, 4, 7, 8, 20)] == [0, 1, 1, 2, 2]


@both_answer_styles
def test_search_over_http(api: httpx.Client, make_profile: MakeProfile) -> None:
    jane = make_profile(first_name="Jane", last_name="Smith", tags=["vip"])
    jana = make_profile(first_name="Jana", last_name="Smyth")
    gone = make_profile(first_name="Jane", last_name="Deleted")
    api.delete(f"/profiles/{gone['id']}")
    found = api.get("/profiles", params={"search": "jane"}).json()
    assert [p["id"] for p in found["data"]] == [jane["id"], jana["id"]]
    assert found["meta"]["total"] == 2
    vip = api.get("/profiles", params={"search": "jane", "filter[tags.handle]": "vip"}).json()
    assert [p["id"] for p in vip["data"]] == [jane["id"]]
    paged = api.get("/profiles", params={"search": "smith", "page[size]": 1, "page[number]": 2})
    assert [p["id"] for p in paged.json()["data"]] == [jana["id"]]
    api.put(f"/profiles/{jana['id']}", json={"first_name": "Bertha"})  # the index follows writes
    assert [p["id"] for p in api.get("/profiles", params={"search": "bertha"}).json()["data"]] == [
        jana["id"]
    ]
