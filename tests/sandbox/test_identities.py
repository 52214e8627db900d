"""Identity endpoints through real HTTP."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import httpx

from tests.conftest import both_answer_styles

pytestmark = both_answer_styles  # form-independent: run in both styles

MakeProfile = Callable[..., dict[str, Any]]


def test_add_read_update_delete_by_handle(api: httpx.Client, make_profile: MakeProfile) -> None:
    profile = make_profile()
    base = f"/profiles/{profile['id']}/identities"
    added = api.post(base, json={"handle": "shopify", "identifier": "1001"})
    assert added.status_code == 201, added.text
    identity = added.json()["data"]
    assert identity["is_active"] is True and identity["is_primary"] is False
    assert api.get(f"{base}/shopify").json()["data"] == identity
    updated = api.put(f"{base}/shopify", json={"identifier": "1002"}).json()["data"]
    assert updated["id"] == identity["id"] and updated["identifier"] == "1002"
    assert api.get(base).json()["data"] == [updated]
    assert api.delete(f"{base}/shopify").status_code == 204
    assert api.get(f"{base}/shopify").status_code == 404
    assert api.put(f"{base}/shopify", json={"identifier": "1"}).status_code == 404
    assert api.delete(f"{base}/shopify").status_code == 404


def test_by_id(api: httpx.Client, make_profile: MakeProfile) -> None:
    profile = make_profile(identities=[{"handle": "pos", "identifier": "7"}])
    ident = profile["identities"][0]["id"]
    base = f"/profiles/{profile['id']}/identities/id"
    assert api.get(f"{base}/{ident}").json()["data"]["identifier"] == "7"
    changed = api.put(f"{base}/{ident}", json={"identifier": "8", "is_active": False}).json()
    assert changed["data"]["identifier"] == "8" and changed["data"]["is_active"] is False
    assert api.delete(f"{base}/{ident}").status_code == 204
    assert api.get(f"{base}/{ident}").status_code == 404
    assert api.get(f"{base}/not-a-number").status_code == 422


def test_identity_errors(api: httpx.Client, make_profile: MakeProfile) -> None:
    first = make_profile(identities=[{"handle": "pos", "identifier": "1"}])
    second = make_profile()
    base = f"/profiles/{second['id']}/identities"
    taken = api.post(base, json={"handle": "pos", "identifier": "1"})
    assert taken.status_code == 422
    assert taken.json()["errors"] == {"identifier": ["The identity has already been taken."]}
    missing = api.post(base, json={"handle": ""})
    assert set(missing.json()["errors"]) == {"handle", "identifier"}
    api.post(base, json={"handle": "web", "identifier": "w"})
    assert api.post(base, json={"handle": "web", "identifier": "w2"}).status_code == 422
    clash = api.put(f"{base}/web", json={"identifier": "1", "handle": "pos"})
    assert clash.status_code == 422
    moved = api.put(f"/profiles/{first['id']}/identities/pos", json={"identifier": "w"})
    assert moved.status_code == 200  # (pos, w) is free: (web, w) is another pair
    assert (
        api.post(
            f"/profiles/{uuid.uuid4()}/identities", json={"handle": "a", "identifier": "b"}
        ).status_code
        == 404
    )


def test_global_listing_with_profiles(api: httpx.Client, make_profile: MakeProfile) -> None:
    made = [
        make_profile(identities=[{"handle": "reconcile", "identifier": f"k{i}"}]) for i in range(5)
    ]
    make_profile(identities=[{"handle": "other", "identifier": "x"}])
    api.delete(f"/profiles/{made[1]['id']}")
    first = api.get(
        "/identities", params={"filter[handle]": "reconcile", "include": "profile", "page[size]": 3}
    ).json()
    assert [i["identifier"] for i in first["data"]] == ["k0", "k2", "k3"]
    assert first["data"][0]["profile"]["id"] == made[0]["id"]
    assert first["meta"]["total"] == 4 and first["meta"]["last_page"] == 2
    second = api.get(first["links"]["next"]).json()
    assert [i["identifier"] for i in second["data"]] == ["k4"]
    lean = api.get("/identities", params={"filter[handle]": "other"}).json()["data"]
    assert "profile" not in lean[0]
    assert api.get("/identities", params={"include": "orders"}).status_code == 400


def test_search_and_search_profile(api: httpx.Client, make_profile: MakeProfile) -> None:
    a = make_profile(identities=[{"handle": "pos", "identifier": "555"}])
    b = make_profile(identities=[{"handle": "web", "identifier": "555"}])
    found = api.get("/identities/search", params={"handle": "pos", "identifier": "555"})
    assert found.json()["data"]["profile_id"] == a["id"]
    assert (
        api.get("/identities/search", params={"handle": "pos", "identifier": "1"}).status_code
        == 404
    )
    assert api.get("/identities/search", params={"handle": "pos"}).status_code == 422
    profiles = api.get("/identities/search-profile/555").json()["data"]
    assert [p["id"] for p in profiles] == [a["id"], b["id"]]
    assert api.get("/identities/search-profile/nobody").json() == {"data": []}


def test_the_identity_listing_follows_every_write_between_pages(
    api: httpx.Client, make_profile: Callable[..., dict[str, Any]]
) -> None:
    """The listing keeps its ordered ids between pages (speed); a write must still show at once."""
    first, second = make_profile(), make_profile()
    api.post(f"/profiles/{first['id']}/identities", json={"handle": "pos", "identifier": "p1"})

    def listed() -> list[str]:
        page = api.get("/identities", params={"filter[handle]": "pos", "page[size]": "1"}).json()
        rest = [
            api.get("/identities", params={"filter[handle]": "pos", "page[size]": "1",
                                           "page[number]": str(n)}).json()
            for n in range(2, page["meta"]["last_page"] + 1)
        ]  # fmt: skip
        return [item["identifier"] for body in (page, *rest) for item in body["data"]]

    assert listed() == ["p1"]
    api.post(f"/profiles/{second['id']}/identities", json={"handle": "pos", "identifier": "p2"})
    assert listed() == ["p1", "p2"]
    assert api.delete(f"/profiles/{first['id']}").status_code == 204
    assert listed() == ["p2"]
