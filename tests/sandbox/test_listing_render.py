"""Listings show each profile exactly as a single read does, and follow every write.

The listings render and encode their pages on a fast path of their own (tuples from SQLite, a
key template, msgspec, each profile encoded as it is built, the listing's order kept until the
store changes); the single reads go through FastAPI's response models. A difference between the
two, a stale order or total, is a bug a client would see.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Any

import httpx

from reconcile.sandbox import ServedSandbox
from tests.conftest import both_answer_styles

pytestmark = both_answer_styles  # form-independent: run in both styles

MakeProfile = Callable[..., dict[str, Any]]
ADDRESS = {"address_line_1": "1 Main St", "city": "Sydney", "state": "NSW", "postcode": "2000",
           "country": "AU", "latitude": "-33.86"}  # fmt: skip


def varied(make_profile: MakeProfile) -> list[dict[str, Any]]:
    """Profiles holding every kind of part, and one holding almost nothing."""
    return [
        make_profile(
            first_name="Zoë",
            last_name="O'Brien",
            mobile_phone="+61412345678",
            birth_day=29,
            birth_month=2,
            birth_year=1996,
            tags=["vip", "b"],
            identities=[
                {"handle": "reconcile", "identifier": "k-1", "is_primary": True},
                {"handle": "pos", "identifier": "p-1", "is_active": False},
            ],
            attributes={"comms": {"email_promo": True, "sms_verification": "sent"}},
            custom_attributes=[
                {"namespace": "n", "handle": "f", "type": "float", "value": 1.5},
                {"namespace": "n", "handle": "j", "type": "json", "value": {"a": [1, None]}},
                {"namespace": "m", "handle": "i", "type": "integer", "value": 2**40},
            ],
            dates=[{"type": "anniversary", "date": "2020-01-31", "handle": "wed"}],
            addresses=[ADDRESS, {**ADDRESS, "address_line_1": "2 Side St"}],
        ),
        make_profile(
            birth_day=3, birth_month=7, identities=[{"handle": "reconcile", "identifier": "k-2"}]
        ),
        make_profile(),
    ]


def test_listed_profiles_are_the_single_reads(api: httpx.Client, make_profile: MakeProfile) -> None:
    made = varied(make_profile)
    listed = api.get("/profiles", params={"page[size]": 500}).json()["data"]
    assert [p["id"] for p in listed] == [p["id"] for p in made]
    for profile in listed:
        single = api.get(f"/profiles/{profile['id']}").json()["data"]
        assert profile == single
        assert list(profile) == list(single)  # the same key order too
        assert list(profile["attributes"]["comms"]) == list(single["attributes"]["comms"])
    by_type = api.get("/profiles", params={"filter[tags.handle]": "vip"}).json()["data"]
    assert by_type == [api.get(f"/profiles/{made[0]['id']}").json()["data"]]


def test_identity_listing_embeds_the_single_reads(
    api: httpx.Client, make_profile: MakeProfile
) -> None:
    made = varied(make_profile)
    for params in ({"include": "profile"}, {"include": "profile", "filter[handle]": "reconcile"}):
        listed = api.get("/identities", params={**params, "page[size]": 2}).json()
        items = listed["data"]
        pages = listed["meta"]["last_page"]
        for number in range(2, pages + 1):
            more = api.get(
                "/identities", params={**params, "page[size]": 2, "page[number]": number}
            )
            items += more.json()["data"]
        assert [i["id"] for i in items] == sorted(i["id"] for i in items)
        held = 3 if "filter[handle]" not in params else 2
        assert len(items) == listed["meta"]["total"] == held
        for item in items:
            profile = item.pop("profile")
            assert profile == api.get(f"/profiles/{item['profile_id']}").json()["data"]
            one = api.get(f"/profiles/{item['profile_id']}/identities/id/{item['id']}")
            assert item == one.json()["data"]
            assert list(item) == list(one.json()["data"])
    bare = api.get("/identities", params={"page[size]": 500}).json()["data"]
    assert all("profile" not in item for item in bare) and len(bare) == 3
    assert {p["id"] for p in made} >= {item["profile_id"] for item in bare}


def test_listings_follow_every_write(
    api: httpx.Client, make_profile: MakeProfile, served_sandbox: ServedSandbox
) -> None:
    first, second, third = varied(make_profile)

    def listed(url: str, **params: Any) -> list[str]:
        answer = api.get(url, params={"page[size]": 500, **params}).json()
        assert answer["meta"]["total"] == len(answer["data"])
        key = "profile_id" if url == "/identities" else "id"
        return [item[key] for item in answer["data"]]

    assert listed("/profiles") == [first["id"], second["id"], third["id"]]
    assert listed("/profiles", sort="-created_at")[0] == third["id"]
    api.delete(f"/profiles/{second['id']}").raise_for_status()
    assert listed("/profiles") == [first["id"], third["id"]]
    assert listed("/identities", **{"filter[handle]": "reconcile"}) == [first["id"]]
    fourth = make_profile(identities=[{"handle": "reconcile", "identifier": "k-4"}])
    assert listed("/profiles") == [first["id"], third["id"], fourth["id"]]
    assert listed("/identities", **{"filter[handle]": "reconcile"}) == [first["id"], fourth["id"]]
    # Another connection to the same file (another sandbox process) is seen too.
    with sqlite3.connect(served_sandbox.db_path) as conn:
        conn.execute("UPDATE profiles SET profile_type = 'deleted' WHERE id = ?", (first["id"],))
    assert listed("/profiles") == [third["id"], fourth["id"]]
    assert listed("/profiles", **{"filter[profile_type]": "deleted"}) == [
        first["id"],
        second["id"],
    ]
    assert listed("/identities", **{"filter[handle]": "reconcile"}) == [fourth["id"]]
