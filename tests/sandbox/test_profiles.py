"""Profiles through real HTTP: create, read, update, soft delete, purge, listing."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import httpx

from reconcile.sandbox import ServedSandbox
from tests.conftest import both_answer_styles

MakeProfile = Callable[..., dict[str, Any]]


def test_create_returns_the_full_profile(api: httpx.Client) -> None:
    answer = api.post(
        "/profiles",
        json={
            "email": " Jane.Doe@Example.COM ",
            "first_name": "Jane",
            "mobile_phone": "+61404123123",
            "birth_day": 1,
            "birth_month": "2",
            "birth_year": 1989,
            "gender": "female",
            "tags": ["mobile app", "vip"],
            "identities": [{"handle": "shopify", "identifier": 42, "is_primary": True}],
            "attributes": {"comms": {"email_promo": True}},
            "custom_attributes": [
                {"namespace": "loyalty", "handle": "tier", "type": "string", "value": "gold"}
            ],
        },
    )
    assert answer.status_code == 201, answer.text
    profile = answer.json()["data"]
    assert uuid.UUID(profile["id"]).version == 4
    assert profile["email"] == "jane.doe@example.com"
    assert (profile["first_name"], profile["last_name"]) == ("Jane", "Unknown")
    assert profile["full_name"] == "Jane Unknown"
    assert profile["mobile_phone_country"] == 61
    assert profile["mobile_phone_national"] == "404123123"
    assert profile["mobile_phone_national_prefix"] == "0404123123"
    assert profile["mobile_phone_e164"] == "+61404123123"
    assert profile["birth_date"] == "1989-02-01"
    assert profile["tags"] == ["mobile-app", "vip"]
    assert profile["external_id"] == "42"
    [identity] = profile["identities"]
    assert identity["handle"] == "shopify" and identity["identifier"] == "42"
    assert identity["is_active"] is True and identity["profile_id"] == profile["id"]
    assert profile["attributes"]["comms"]["email_promo"] is True
    assert profile["attributes"]["comms"]["sms_promo"] is None
    assert profile["custom_attributes"] == {"loyalty": {"tier": "gold"}}
    assert len(profile["created_at"]) == 19 and profile["created_at"][10] == " "
    assert profile["profile_type"] == "active"


@both_answer_styles
def test_read_by_id_and_by_identity(api: httpx.Client, make_profile: MakeProfile) -> None:
    profile = make_profile(identities=[{"handle": "shopify", "identifier": "s-1"}])
    assert api.get(f"/profiles/{profile['id']}").json() == {"data": profile}
    by_identity = api.get("/profiles/s-1", params={"identity[handle]": "shopify"})
    assert by_identity.json()["data"]["id"] == profile["id"]
    assert api.get("/profiles/s-2", params={"identity[handle]": "shopify"}).status_code == 404
    missing = api.get(f"/profiles/{uuid.uuid4()}")
    assert missing.status_code == 404
    assert missing.json() == {"message": "Profile not found."}


def test_update_is_partial_and_replaces_tags(api: httpx.Client, make_profile: MakeProfile) -> None:
    profile = make_profile(first_name="Ann", tags=["a", "b"], birth_day=3, birth_month=4)
    answer = api.put(f"/profiles/{profile['id']}", json={"last_name": "Lee", "tags": ["c"]})
    assert answer.status_code == 200, answer.text
    updated = answer.json()["data"]
    assert (updated["first_name"], updated["last_name"], updated["tags"]) == ("Ann", "Lee", ["c"])
    assert updated["birth_day"] == 3
    cleared = api.put(f"/profiles/{profile['id']}", json={"first_name": None}).json()["data"]
    assert cleared["first_name"] == "Unknown"


@both_answer_styles
def test_update_checks_the_merged_birth_date(api: httpx.Client, make_profile: MakeProfile) -> None:
    profile = make_profile(birth_day=31, birth_month=1)
    answer = api.put(f"/profiles/{profile['id']}", json={"birth_month": 2})
    assert answer.status_code == 422
    assert "birth_day" in answer.json()["errors"]


@both_answer_styles
def test_soft_delete_hides_and_keeps_uniqueness(
    api: httpx.Client, make_profile: MakeProfile
) -> None:
    profile = make_profile(email="gone@example.com")
    answer = api.delete(f"/profiles/{profile['id']}")
    assert answer.status_code == 204 and answer.content == b""
    assert api.get(f"/profiles/{profile['id']}").status_code == 404
    assert api.put(f"/profiles/{profile['id']}", json={"title": "Dr"}).status_code == 404
    assert api.delete(f"/profiles/{profile['id']}").status_code == 404
    assert api.get("/profiles", params={"filter[email]": "gone@example.com"}).json()["data"] == []
    deleted = api.get("/profiles", params={"filter[profile_type]": "deleted"}).json()["data"]
    assert [p["id"] for p in deleted] == [profile["id"]]
    again = api.post("/profiles", json={"email": "gone@example.com"})
    assert again.status_code == 422
    assert again.json()["errors"]["email"] == ["The email has already been taken."]


@both_answer_styles
def test_purge_frees_email_mobile_and_identities(
    api: httpx.Client, make_profile: MakeProfile
) -> None:
    for method in ("POST", "DELETE"):
        body = {
            "email": "p@example.com",
            "mobile_phone": "+61412000111",
            "identities": [{"handle": "pos", "identifier": "9"}],
        }
        profile = make_profile(**body)
        if method == "POST":
            assert api.delete(f"/profiles/{profile['id']}").status_code == 204  # purge after delete
        answer = api.request(method, f"/profiles/{profile['id']}/purge")
        assert answer.status_code == 204
        assert api.request(method, f"/profiles/{profile['id']}/purge").status_code == 404
        assert api.get(f"/profiles/{profile['id']}").status_code == 404


@both_answer_styles
def test_create_reports_every_error_at_once(api: httpx.Client, make_profile: MakeProfile) -> None:
    make_profile(
        email="taken@example.com",
        mobile_phone="+61412999888",
        identities=[{"handle": "pos", "identifier": "1"}],
    )
    answer = api.post(
        "/profiles",
        json={
            "email": "TAKEN@example.com",
            "mobile_phone": "+61412999888",
            "gender": "x",
            "birth_day": 0,
            "identities": [{"handle": "pos", "identifier": "1"}],
        },
    )
    assert answer.status_code == 422
    body = answer.json()
    assert body["message"] == "The given data was invalid."
    assert body["errors"] == {
        "email": ["The email has already been taken."],
        "mobile_phone": ["The phone number exists"],
        "gender": ["The selected gender is invalid."],
        "birth_day": ["The birth day must be an integer between 1 and 31."],
        "identities.0.identifier": ["The identity has already been taken."],
    }


@both_answer_styles
def test_national_mobile_is_rejected(api: httpx.Client) -> None:
    answer = api.post("/profiles", json={"email": "n@example.com", "mobile_phone": "0412345678"})
    assert answer.status_code == 422
    assert list(answer.json()["errors"]) == ["mobile_phone"]


@both_answer_styles
def test_malformed_json_is_400(api: httpx.Client) -> None:
    answer = api.post(
        "/profiles", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert answer.status_code == 400
    assert answer.json() == {"message": "The request body is not valid JSON."}
    answer = api.post("/profiles", json=[1, 2])
    assert answer.status_code == 400


@both_answer_styles
def test_auth(served_sandbox: ServedSandbox, reader: httpx.Client) -> None:
    with httpx.Client(base_url=served_sandbox.url) as anonymous:
        answer = anonymous.get("/profiles")
        assert answer.status_code == 401
        assert answer.json() == {"message": "Unauthenticated."}
        bad = anonymous.get("/profiles", headers={"Authorization": "Bearer nope"})
        assert bad.status_code == 401
        assert anonymous.get("/openapi.json").status_code == 200
    assert reader.get("/profiles").status_code == 200
    forbidden = reader.post("/profiles", json={"email": "r@example.com"})
    assert forbidden.status_code == 403
    assert forbidden.json() == {"message": "This action is unauthorized."}


@both_answer_styles
def test_listing_filters_sort_and_pages(api: httpx.Client, make_profile: MakeProfile) -> None:
    made = [
        make_profile(
            first_name=name,
            last_name="Smith",
            mobile_phone=f"+6141200000{i}",
            tags=["vip"] if i % 2 else ["basic"],
        )
        for i, name in enumerate(["Cara", "Abel", "Bea", "Dan", "Abigail"])
    ]
    by_mobile = api.get("/profiles", params={"filter[mobile_phone]": "+61412000002"}).json()
    assert [p["id"] for p in by_mobile["data"]] == [made[2]["id"]]
    names = api.get("/profiles", params={"filter[first_name]": "ab", "sort": "-first_name"}).json()
    assert [p["first_name"] for p in names["data"]] == ["Abigail", "Abel"]
    vip = api.get("/profiles", params={"filter[tags.handle]": "vip", "sort": "first_name"}).json()
    assert [p["first_name"] for p in vip["data"]] == ["Abel", "Dan"]
    page = api.get("/profiles", params={"page[size]": 2, "page[number]": 3}).json()
    assert [p["id"] for p in page["data"]] == [made[4]["id"]]
    assert page["meta"]["total"] == 5 and page["meta"]["last_page"] == 3
    assert page["meta"]["from"] == 5 and page["meta"]["to"] == 5
    assert page["links"]["next"] is None and "page[number]=2" in page["links"]["prev"]
    assert api.get("/profiles", params={"page[size]": 501}).status_code == 422
    assert api.get("/profiles", params={"page[size]": "x"}).status_code == 422
    bad_filter = api.get("/profiles", params={"filter[colour]": "red"})
    assert bad_filter.status_code == 400 and "colour" in bad_filter.json()["message"]
    assert api.get("/profiles", params={"sort": "shoe_size"}).status_code == 400


@both_answer_styles
def test_update_type_restores_a_deleted_profile(
    api: httpx.Client, make_profile: MakeProfile
) -> None:
    profile = make_profile(profile_type="temporary")
    assert profile["profile_type"] == "temporary"
    api.delete(f"/profiles/{profile['id']}")
    answer = api.put(f"/profiles/{profile['id']}/update-type", json={"profile_type": "active"})
    assert answer.status_code == 200 and answer.json()["data"]["profile_type"] == "active"
    bad = api.put(f"/profiles/{profile['id']}/update-type", json={"profile_type": "zombie"})
    assert bad.status_code == 422
    assert (
        api.put(
            f"/profiles/{uuid.uuid4()}/update-type", json={"profile_type": "active"}
        ).status_code
        == 404
    )
