"""The sandbox's limits (docs/validation-rules.md, "Limits"): each one answered as documented,
through real HTTP, and the rough edges they close (values that used to be stored and then broke
a read, query strings that used to be a 500)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from reconcile.sandbox.rules.limits import (
    LIMITS,
    MAX_ADDRESSES,
    MAX_BODY_BYTES,
    MAX_BULK_BODY_BYTES,
    MAX_CUSTOM_ATTRIBUTES,
    MAX_FILTER_VALUES,
    MAX_IDENTITIES,
    MAX_IMPORT_ROWS,
    MAX_SEARCH,
    MAX_SEARCH_CONDITIONS,
    MAX_TAGS,
)
from tests.conftest import both_answer_styles
from tests.markdown import DOCS, table, unquote

MakeProfile = Callable[..., dict[str, Any]]
ADDRESS = {"address_line_1": "1 Main St", "city": "Sydney", "state": "NSW", "postcode": "2000",
           "country": "AU"}  # fmt: skip


def identities(count: int, prefix: str = "h") -> list[dict[str, str]]:
    return [{"handle": f"{prefix}{n}", "identifier": f"{prefix}-id-{n}"} for n in range(count)]


def customs(count: int, prefix: str = "k") -> list[dict[str, Any]]:
    return [{"namespace": "n", "handle": f"{prefix}{n}", "type": "integer", "value": n}
            for n in range(count)]  # fmt: skip


def test_the_limits_table_matches_the_code() -> None:
    rows = table(DOCS / "validation-rules.md", "Limit")
    documented = [
        (row[0], int(row[1].replace(",", "")), int(unquote(row[2])), unquote(row[3]), row[4])
        for row in rows
    ]
    expected = [(x.name, x.maximum, x.status, x.field or "—", x.message) for x in LIMITS]
    assert documented == expected


def over_each_limit(api: httpx.Client, profile: str) -> dict[str, httpx.Response]:
    """One request just over each documented limit, by the limit's error key."""
    rows = "\n".join(f"r{n}@example.com" for n in range(MAX_IMPORT_ROWS + 1))
    attributes = "&".join(
        f"attributes[{n}][namespace]=n&attributes[{n}][handle]=h"
        for n in range(MAX_SEARCH_CONDITIONS + 1)
    )
    return {
        "bulk": api.post("/profiles/batch", content=b" " * (MAX_BULK_BODY_BYTES + 1)),
        "body": api.post("/profiles", content=b" " * (MAX_BODY_BYTES + 1)),
        "tags": api.post("/profiles", json={"email": "t@example.com",
                                            "tags": [f"t{n}" for n in range(MAX_TAGS + 1)]}),
        "identities": api.put(f"/profiles/{profile}",
                              json={"identities": identities(MAX_IDENTITIES + 1)}),
        "custom_attributes": api.put(
            f"/profiles/{profile}", json={"custom_attributes": customs(MAX_CUSTOM_ATTRIBUTES + 1)}),
        "addresses": api.put(f"/profiles/{profile}", json={"addresses": [ADDRESS] * 21}),
        "search": api.get("/profiles", params={"search": "a" * (MAX_SEARCH + 1)}),
        "filter.*": api.get("/profiles", params={
            "filter[email]": ",".join(f"e{n}@x.io" for n in range(MAX_FILTER_VALUES + 1))}),
        "attributes": api.get(f"/profiles/attributes/custom?{attributes}"),
        "page.size": api.get("/profiles", params={"page[size]": 501}),
        "profiles": api.post("/profiles/batch", json={
            "match_criteria": "email",
            "profiles": [{"email": f"b{n}@example.com"} for n in range(501)]}),
        "file": api.post("/import-jobs", content=f"email\n{rows}\n".encode()),
    }  # fmt: skip


@both_answer_styles
def test_every_limit_is_answered_as_documented(
    api: httpx.Client, make_profile: MakeProfile
) -> None:
    answers = over_each_limit(api, make_profile()["id"])
    for limit in LIMITS:
        key = limit.field or ("bulk" if "batch" in limit.name else "body")
        answer = answers[key]
        assert answer.status_code == limit.status, (limit.name, answer.text[:200])
        if limit.status == 413:
            assert answer.json() == {"message": limit.message}
            continue
        field = limit.field.replace("*", "email")
        assert answer.json()["errors"][field] == [limit.message.replace("*", "email")], limit.name
    assert api.get("/profiles").json()["meta"]["total"] == 1, "nothing over a limit was stored"


@both_answer_styles
def test_at_the_limits_a_profile_is_accepted(api: httpx.Client) -> None:
    body = {
        "email": "full@example.com",
        "tags": [f"tag {n}" for n in range(MAX_TAGS)],
        "identities": identities(MAX_IDENTITIES),
        "custom_attributes": customs(MAX_CUSTOM_ATTRIBUTES),
        "addresses": [ADDRESS] * MAX_ADDRESSES,
    }
    answer = api.post("/profiles", json=body)
    assert answer.status_code == 201, answer.text[:300]
    profile = answer.json()["data"]
    assert len(profile["tags"]) == MAX_TAGS and len(profile["identities"]) == MAX_IDENTITIES
    assert len(api.get(f"/profiles/{profile['id']}/attributes/custom").json()["data"]) == 100
    duplicates = api.put(f"/profiles/{profile['id']}", json={"tags": ["a b", "a-b"] * 50})
    assert duplicates.status_code == 200 and duplicates.json()["data"]["tags"] == ["a-b"]


@both_answer_styles
def test_a_profile_cannot_grow_past_a_limit_one_write_at_a_time(
    api: httpx.Client, make_profile: MakeProfile
) -> None:
    pid = make_profile(identities=identities(MAX_IDENTITIES), addresses=[ADDRESS] * 20)["id"]
    more = api.put(f"/profiles/{pid}", json={"identities": identities(1, "x")})
    assert more.status_code == 422 and set(more.json()["errors"]) == {"identities"}
    renamed = api.put(
        f"/profiles/{pid}", json={"identities": [{"handle": "h0", "identifier": "z"}]}
    )
    assert renamed.status_code == 200, "an identity updated in place adds nothing"
    added = api.post(f"/profiles/{pid}/identities", json={"handle": "x", "identifier": "1"})
    assert added.status_code == 422 and set(added.json()["errors"]) == {"identities"}
    address = api.post(f"/profiles/{pid}/addresses", json=ADDRESS)
    assert address.status_code == 422 and set(address.json()["errors"]) == {"addresses"}
    assert api.put(f"/profiles/{pid}", json={"custom_attributes": customs(100)}).status_code == 200
    new = api.put(f"/profiles/{pid}/attributes/custom/n:new", json={"type": "string", "value": "v"})
    assert new.status_code == 422 and set(new.json()["errors"]) == {"custom_attributes"}
    same = api.put(f"/profiles/{pid}/attributes/custom/n:k1", json={"type": "integer", "value": 7})
    assert same.status_code == 200, "an attribute replaced in place adds nothing"


@both_answer_styles
def test_sub_resource_fields_are_bounded(api: httpx.Client, make_profile: MakeProfile) -> None:
    pid = make_profile()["id"]
    long_key = api.put(f"/profiles/{pid}/attributes/custom/{'n' * 256}:h",
                       json={"type": "string", "value": "v"})  # fmt: skip
    assert long_key.json()["errors"] == {
        "namespace": ["The namespace may not be greater than 255 characters."]
    }
    value = api.put(f"/profiles/{pid}/attributes/custom/n:h",
                    json={"type": "json", "value": {"text": "a" * 65_536}})  # fmt: skip
    assert value.json()["errors"] == {
        "value": ["The value may not be greater than 65535 characters."]
    }
    identity = api.post(
        f"/profiles/{pid}/identities", json={"handle": "h", "identifier": "i" * 256}
    )
    assert identity.json()["errors"] == {
        "identifier": ["The identifier may not be greater than 255 characters."]
    }


@both_answer_styles
def test_an_address_field_that_is_not_text_is_refused_so_reads_keep_working(
    api: httpx.Client, make_profile: MakeProfile
) -> None:
    """Before, ``address_line_1: 5`` was stored, and every read of the addresses was a 500."""
    pid = make_profile(addresses=[ADDRESS])["id"]
    bad = api.post(f"/profiles/{pid}/addresses", json={**ADDRESS, "address_line_1": 5})
    assert bad.json()["errors"] == {"address_line_1": ["The address_line_1 must be a string."]}
    update = api.put(f"/profiles/{pid}/addresses/1", json={"city": "c" * 256, "is_default": "y"})
    assert update.json()["errors"] == {
        "city": ["The city may not be greater than 255 characters."],
        "is_default": ["The is_default field must be true or false."],
    }
    assert api.get(f"/profiles/{pid}/addresses").status_code == 200


@both_answer_styles
def test_a_long_title_is_a_422_not_a_500(api: httpx.Client) -> None:
    """``title``, ``company`` and ``occupation`` had no max:255 message: a long one was a 500."""
    answer = api.post("/profiles", json={"email": "t@example.com", "company": "c" * 256})
    assert answer.status_code == 422
    assert answer.json()["errors"] == {
        "company": ["The company may not be greater than 255 characters."]
    }


@both_answer_styles
def test_query_strings_cannot_make_a_listing_fail(api: httpx.Client) -> None:
    """A sort naming a column 3,000 times was a 500 (SQLite's limit on ORDER BY terms)."""
    answer = api.get("/profiles", params={"sort": ",".join(["-email"] * 3000)})
    assert answer.status_code == 200, answer.text[:200]
    twice = api.get("/profiles?filter[email]=a@x.io&filter[email]=" + ",".join(["b@x.io"] * 100))
    assert twice.status_code == 200, "a parameter given twice counts once, with its last value"
