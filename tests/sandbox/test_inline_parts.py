"""A profile's parts inline in its own write: ``POST /profiles``, ``PUT /profiles/{id}`` and sync
take identities, comms, custom attributes, addresses and dates in the body, validated by the rules
of their own endpoints, and answer with them stored; a tenant configured without inline parts
ignores comms, custom attributes and addresses there."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from reconcile.sandbox import DEFAULT_TOKEN, SandboxConfig
from reconcile.sandbox.http.server import serve_in_thread

ADDRESS = {
    "address_line_1": "1 Main St",
    "city": "Sydney",
    "postcode": "2000",
    "country": "AU",
    "state": "NSW",
}
PARTS: dict[str, Any] = {
    "identities": [{"handle": "pos", "identifier": "7"}],
    "comms_attributes": {"email_promo": True},
    "custom_attributes": [
        {"namespace": "loyalty", "handle": "points", "type": "integer", "value": 5}
    ],
    "addresses": [ADDRESS],
    "dates_attributes": [{"handle": "wedding", "date": "2015-03-14"}],
}


def stored(profile: dict[str, Any]) -> dict[str, Any]:
    """The parts of an answer, in the shape PARTS writes them."""
    return {
        "identities": {(i["handle"], i["identifier"]) for i in profile["identities"]},
        "comms": profile["attributes"]["comms"]["email_promo"],
        "custom": profile["custom_attributes"],
        "addresses": [{k: a[k] for k in ADDRESS} for a in profile["addresses"]],
        "dates": [(d["handle"], d["date"]) for d in profile["attributes"]["dates"]],
    }


def test_create_update_and_sync_take_the_parts_inline(api: httpx.Client) -> None:
    created = api.post("/profiles", json={"email": "ann@example.com", **PARTS})
    assert created.status_code == 201, created.text
    profile = created.json()["data"]
    assert stored(profile) == {
        "identities": {("pos", "7")},
        "comms": True,
        "custom": {"loyalty": {"points": 5}},
        "addresses": [ADDRESS],
        "dates": [("wedding", "2015-03-14")],
    }

    moved = {**ADDRESS, "city": "Perth", "state": "WA", "postcode": "6000"}
    update = {
        "identities": [{"handle": "pos", "identifier": "8"}],
        "comms_attributes": {"email_promo": False},
        "custom_attributes": [
            {"namespace": "loyalty", "handle": "tier", "type": "string", "value": "gold"}
        ],
        "addresses": [moved],
    }
    updated = api.put(f"/profiles/{profile['id']}", json=update)
    assert updated.status_code == 200, updated.text
    after = stored(updated.json()["data"])
    assert after["identities"] == {("pos", "8")}  # upserted by handle
    assert after["comms"] is False
    assert after["custom"] == {"loyalty": {"points": 5, "tier": "gold"}}  # upserted by handle
    assert after["addresses"] == [moved]  # replaced whole

    synced = api.post(
        "/profiles/sync",
        json={"email": "ann@example.com", "comms_attributes": {"sms_promo": True}},
    )
    assert synced.status_code == 200, synced.text
    assert synced.json()["data"]["attributes"]["comms"]["sms_promo"] is True


@pytest.mark.parametrize(
    ("part", "path"),
    [
        (
            {"custom_attributes": [{"namespace": "n", "handle": "h", "type": "integer",
                                    "value": "1"}]},
            "custom_attributes.0.value",
        ),
        ({"comms_attributes": {"email_promo": "yes"}}, "attributes.comms.email_promo"),
        ({"addresses": [{**ADDRESS, "city": None}]}, "addresses.0.city"),
        ({"identities": [{"handle": "pos"}]}, "identities.0.identifier"),
        ({"dates_attributes": [{"date": "2015-02-30"}]}, "dates_attributes.0.date"),
    ],
)  # fmt: skip
def test_inline_parts_are_validated_like_their_endpoints(
    api: httpx.Client, part: dict[str, Any], path: str
) -> None:
    created = api.post("/profiles", json={"email": "bob@example.com", **part})
    assert created.status_code == 422, created.text
    assert path in created.json()["errors"]
    fine = api.post("/profiles", json={"email": "bob@example.com"})
    updated = api.put(f"/profiles/{fine.json()['data']['id']}", json=part)
    assert updated.status_code == 422 and path in updated.json()["errors"], updated.text


def test_an_inline_identity_someone_else_holds_is_refused(api: httpx.Client) -> None:
    api.post("/profiles", json={"email": "a@example.com", "identities": PARTS["identities"]})
    taken = api.post(
        "/profiles", json={"email": "b@example.com", "identities": PARTS["identities"]}
    )
    assert taken.status_code == 422
    assert taken.json()["errors"]["identities.0.identifier"] == [
        "The identity has already been taken."
    ]


@pytest.fixture
def without_inline(tmp_path: Path) -> Iterator[httpx.Client]:
    config = SandboxConfig(db_path=tmp_path / "plain.db", inline_parts=False)
    with serve_in_thread(config) as served:
        headers = {"Authorization": f"Bearer {DEFAULT_TOKEN}"}
        with httpx.Client(base_url=served.url, headers=headers, timeout=30) as client:
            yield client


def test_a_tenant_without_inline_parts_ignores_them(without_inline: httpx.Client) -> None:
    created = without_inline.post("/profiles", json={"email": "c@example.com", **PARTS})
    assert created.status_code == 201, created.text
    profile = created.json()["data"]
    assert profile["custom_attributes"] in ({}, [], None)
    assert profile["addresses"] == []
    assert not profile["attributes"]["comms"].get("email_promo")
    # identities and dates stay inline (documented for profile writes)
    assert stored(profile)["identities"] == {("pos", "7")}
    assert stored(profile)["dates"] == [("wedding", "2015-03-14")]
    path = f"/profiles/{profile['id']}/attributes/comms"
    assert without_inline.put(path, json={"email_promo": True}).status_code == 200
