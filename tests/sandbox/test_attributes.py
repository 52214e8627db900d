"""Comms preferences and custom attributes through real HTTP."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import httpx

from tests.conftest import both_answer_styles

MakeProfile = Callable[..., dict[str, Any]]


@both_answer_styles
def test_comms_merge(api: httpx.Client, make_profile: MakeProfile) -> None:
    profile = make_profile(attributes={"comms": {"email_promo": True}})
    url = f"/profiles/{profile['id']}/attributes/comms"
    answer = api.put(url, json={"sms_promo": False, "email_verification": "sent"})
    assert answer.status_code == 200, answer.text
    comms = api.get(url).json()["data"]
    assert (comms["email_promo"], comms["sms_promo"], comms["email_verification"]) == (
        True,
        False,
        "sent",
    )
    assert comms["updated_at"] is not None
    bad = api.put(url, json={"email_spam": True, "sms_promo": "yes"})
    assert bad.status_code == 422
    assert set(bad.json()["errors"]) == {"email_spam", "sms_promo"}
    assert api.put(f"/profiles/{uuid.uuid4()}/attributes/comms", json={}).status_code == 404


@both_answer_styles
def test_comms_shortcut_subscribes_as_the_sdk_does(
    api: httpx.Client, make_profile: MakeProfile
) -> None:
    """The SDK's subscribe/unsubscribe PUT /profiles/{id}/comms and read ``data[0]``."""
    profile = make_profile(attributes={"comms": {"sms_promo": True}})
    url = f"/profiles/{profile['id']}/comms"
    subscribed = api.put(url, json={"email_optout": False, "email_promo": True})
    assert subscribed.status_code == 200, subscribed.text
    [comms] = subscribed.json()["data"]
    assert (comms["email_promo"], comms["email_optout"], comms["sms_promo"]) == (True, False, True)
    assert comms["profile_id"] == profile["id"]
    [comms] = api.put(url, json={"email_promo": False}).json()["data"]
    assert comms["email_promo"] is False
    assert api.get(f"/profiles/{profile['id']}/attributes/comms").json()["data"] == comms
    bad = api.put(url, json={"email_spam": True, "sms_promo": "yes"})
    assert bad.status_code == 422
    assert bad.json()["errors"] == {
        "email_spam": ["The email spam is not a known comms preference."],
        "sms_promo": ["The sms promo field must be true or false."],
    }
    assert api.put(f"/profiles/{uuid.uuid4()}/comms", json={}).status_code == 404


def test_custom_attribute_lifecycle(api: httpx.Client, make_profile: MakeProfile) -> None:
    profile = make_profile()
    base = f"/profiles/{profile['id']}/attributes/custom"
    put = api.put(f"{base}/loyalty:tier", json={"type": "string", "value": "gold"})
    assert put.status_code == 200, put.text
    assert put.json()["data"]["value"] == "gold"
    api.put(f"{base}/loyalty:points", json={"type": "integer", "value": 10})
    assert [a["handle"] for a in api.get(base).json()["data"]] == ["tier", "points"]
    assert api.get(f"{base}/loyalty:points").json()["data"]["value"] == 10
    shown = api.get(f"/profiles/{profile['id']}").json()["data"]["custom_attributes"]
    assert shown == {"loyalty": {"tier": "gold", "points": 10}}
    bad = api.put(f"{base}/loyalty:points", json={"type": "integer", "value": "ten"})
    assert bad.status_code == 422 and list(bad.json()["errors"]) == ["value"]
    assert api.put(f"{base}/loyalty:x", json={"type": "date", "value": 1}).status_code == 422
    assert api.delete(f"{base}/loyalty:tier").status_code == 204
    assert api.get(f"{base}/loyalty:tier").status_code == 404
    assert api.delete(f"{base}/loyalty:tier").status_code == 404
    assert api.get(f"{base}/no-colon").status_code == 404


@both_answer_styles
def test_custom_attribute_search(api: httpx.Client, make_profile: MakeProfile) -> None:
    gold = make_profile(
        custom_attributes=[{"namespace": "l", "handle": "tier", "type": "string", "value": "gold"}]
    )
    silver = make_profile(
        custom_attributes=[
            {"namespace": "l", "handle": "tier", "type": "string", "value": "silver"}
        ]
    )
    make_profile()
    params = {"attributes[0][namespace]": "l", "attributes[0][handle]": "tier"}
    everyone = api.get("/profiles/attributes/custom", params=params).json()
    assert [p["id"] for p in everyone["data"]] == [gold["id"], silver["id"]]
    only = api.get(
        "/profiles/attributes/custom", params={**params, "attributes[0][value][in]": "gold"}
    )
    assert [p["id"] for p in only.json()["data"]] == [gold["id"]]
    assert api.get("/profiles/attributes/custom").status_code == 422
