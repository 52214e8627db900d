"""What the official SDK reads and writes is served as its types declare it: the Profile type's
fields, the appearance resource, typed comms terms, an address's meta, one address shape, 404
for what is not served; and the SDK answer style gives the SDK types' forms."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import httpx

from tests.conftest import both_answer_styles

MakeProfile = Callable[..., dict[str, Any]]
ADDRESS = {"address_line_1": "1 Main St", "city": "Sydney", "state": "NSW", "postcode": "2000",
           "country": "AU"}  # fmt: skip
ISO = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$")


@both_answer_styles
def test_the_sdk_profile_type_s_fields_are_all_present(
    api: httpx.Client, make_profile: MakeProfile
) -> None:
    home = {**ADDRESS, "is_default": True}
    profile = make_profile(first_name="Ann", last_name="Lee", addresses=[ADDRESS, home])
    unnamed = make_profile()

    assert profile["is_completed"] is True and unnamed["is_completed"] is False
    assert profile["statuses_original"] == [] and profile["regions"] == []
    assert profile["custom_fields"] in ({}, [])  # [] in the SDK style: PHP's empty object
    assert profile["address"] == profile["addresses"][1] and unnamed["address"] is None


@both_answer_styles
def test_appearance_is_read_and_merged(api: httpx.Client, make_profile: MakeProfile) -> None:
    profile = make_profile()
    path = f"/profiles/{profile['id']}/attributes/appearance"
    shown = profile["attributes"]["appearance"]
    assert len(shown) == 61 and shown["profile_id"] == profile["id"]
    assert shown["hair_colour"] is None and shown["measurement_ear_lobe"] is None

    first = api.put(path, json={"hair_colour": "red", "size_shoe": "9"})
    again = api.put(path, json={"size_shoe": None, "eye_colour": "green"})

    assert first.status_code == again.status_code == 200, again.text
    held = api.get(path).json()["data"]
    assert (held["hair_colour"], held["size_shoe"], held["eye_colour"]) == ("red", None, "green")
    assert api.get(f"/profiles/{profile['id']}").json()["data"]["attributes"]["appearance"] == held
    refused = api.put(path, json={"hair_colour": 3, "wings": "yes", "size_hat": "x" * 256})
    assert refused.status_code == 422
    assert refused.json()["errors"] == {
        "hair_colour": ["The hair colour must be a string."],
        "wings": ["The wings is not a known appearance attribute."],
        "size_hat": ["The size hat may not be greater than 255 characters."],
    }
    missing = "/profiles/00000000-0000-4000-8000-000000000000/attributes/appearance"
    assert api.get(missing).status_code == 404


def test_terms_take_text_or_null_and_refuse_a_boolean(
    api: httpx.Client, make_profile: MakeProfile
) -> None:
    path = f"/profiles/{make_profile()['id']}/attributes/comms"

    refused = api.put(path, json={"terms_accepted_at": True, "terms_accepted_version": 2})
    kept = api.put(path, json={"terms_accepted_at": "2021-01-02 03:04:05"})

    assert refused.status_code == 422
    assert refused.json()["errors"] == {
        "terms_accepted_at": ["The terms accepted at must be a string."],
        "terms_accepted_version": ["The terms accepted version must be a string."],
    }
    assert kept.json()["data"]["terms_accepted_at"] == "2021-01-02 03:04:05"


def test_an_address_meta_object_is_kept_and_both_reads_agree(
    api: httpx.Client, make_profile: MakeProfile
) -> None:
    profile = make_profile(addresses=[ADDRESS])
    path = f"/profiles/{profile['id']}/addresses"

    added = api.post(path, json={**ADDRESS, "city": "Perth", "meta": {"floor": 2}})
    refused = api.post(path, json={**ADDRESS, "meta": "ground floor"})

    assert added.status_code == 201, added.text
    assert added.json()["data"]["meta"] == {"floor": 2}
    assert refused.status_code == 422
    assert refused.json()["errors"] == {"meta": ["The meta must be an object."]}
    listed = api.get(path).json()["data"]
    inside = api.get(f"/profiles/{profile['id']}").json()["data"]["addresses"]
    assert listed == inside and len(listed) == 2
    assert listed[0]["address_line_2"] is None and listed[0]["is_default"] is None


@both_answer_styles
def test_every_unserved_route_is_404_merge_included(
    api: httpx.Client, make_profile: MakeProfile
) -> None:
    profile_id = make_profile()["id"]
    unserved = [
        ("POST", "/profiles/merge"),
        ("GET", f"/profiles/{profile_id}/resync"),
        ("POST", f"/profiles/{profile_id}/redeem"),
        ("GET", f"/profiles/{profile_id}/transactions"),
        ("GET", f"/profiles/{profile_id}/benefits"),
        ("GET", f"/profiles/{profile_id}/rewards"),
        ("GET", f"/profiles/{profile_id}/regions"),
        ("GET", f"/profiles/{profile_id}/balances"),
        ("GET", f"/profiles/{profile_id}/lists"),
    ]
    for method, path in unserved:
        answer = api.request(method, path, json={} if method == "POST" else None)
        assert answer.status_code == 404, (method, path, answer.status_code)
        assert answer.json() == {"message": "Not found."}
    assert api.patch("/profiles", json={}).status_code == 405  # a served path, another method


@both_answer_styles
def test_the_sdk_style_answers_in_the_sdk_types_forms(
    api: httpx.Client, make_profile: MakeProfile, answer_style: str
) -> None:
    profile = make_profile(
        birth_day=7, birth_month=3, joined_at="2020-05-01 10:00:00", mobile_phone="+61412345678",
        identities=[{"handle": "pos", "identifier": "p-1"}], addresses=[ADDRESS],
        custom_attributes=[{"namespace": "loyalty", "handle": "ratio", "type": "float",
                            "value": 3}],
    )  # fmt: skip
    identity = profile["identities"][0]
    read = api.get(f"/profiles/{profile['id']}").json()["data"]
    listed = api.get("/identities", params={"filter[handle]": "pos", "include": "profile"})
    embedded = listed.json()["data"][0]["profile"]
    sdk = answer_style == "sdk"

    assert read == profile and embedded == profile
    assert isinstance(identity["id"], str) == sdk
    assert isinstance(profile["addresses"][0]["id"], str) == sdk
    assert (profile["birth_day"], profile["mobile_phone_country"]) == (
        ("7", "61") if sdk else (7, 61)
    )
    assert bool(ISO.match(profile["joined_at"])) == sdk
    assert bool(ISO.match(profile["created_at"])) == sdk
    if sdk:
        (item,) = profile["custom_attributes"]
        assert (item["namespace"], item["handle"], item["type"], item["value"]) == (
            "loyalty", "ratio", "float", 3
        )  # fmt: skip
        assert isinstance(item["id"], str) and ISO.match(item["created_at"])
        assert profile["organisations"] == [] and profile["preferred_staff_id"] is None
    else:
        assert profile["custom_attributes"] == {"loyalty": {"ratio": 3}}
        assert "organisations" not in profile
    refused = api.post("/profiles", json={"email": "x@example.com", "birth_day": "x"})
    assert refused.status_code == 422  # writes are as strict in both styles
    assert refused.json()["errors"]["birth_day"]
