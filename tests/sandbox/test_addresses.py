"""Address sub-resources through real HTTP."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import httpx

from tests.conftest import both_answer_styles

MakeProfile = Callable[..., dict[str, Any]]
HOME = {
    "address_line_1": "1 George St",
    "city": "Sydney",
    "postcode": "2000",
    "country": "AU",
    "state": "NSW",
    "is_default": True,
}


def test_address_lifecycle(api: httpx.Client, make_profile: MakeProfile) -> None:
    profile = make_profile(addresses=[HOME])
    base = f"/profiles/{profile['id']}/addresses"
    assert [a["id"] for a in api.get(base).json()["data"]] == [1]
    added = api.post(base, json={**HOME, "address_line_1": "2 Pitt St"})
    assert added.status_code == 201
    work = added.json()["data"]
    assert work["id"] == 2 and work["is_default"] is True
    assert api.get(f"{base}/1").json()["data"]["is_default"] is False  # one default at a time
    moved = api.put(f"{base}/2", json={"city": "Parramatta"}).json()["data"]
    assert (moved["city"], moved["address_line_1"]) == ("Parramatta", "2 Pitt St")
    shown = api.get(f"/profiles/{profile['id']}").json()["data"]["addresses"]
    assert [a["city"] for a in shown] == ["Sydney", "Parramatta"]
    assert api.delete(f"{base}/1").status_code == 204
    assert api.get(f"{base}/1").status_code == 404
    assert api.delete(f"{base}/1").status_code == 404
    assert [a["id"] for a in api.get(base).json()["data"]] == [2]


@both_answer_styles
def test_address_errors(api: httpx.Client, make_profile: MakeProfile) -> None:
    profile = make_profile()
    base = f"/profiles/{profile['id']}/addresses"
    missing = api.post(base, json={"address_line_1": "1 St"})
    assert missing.status_code == 422
    assert set(missing.json()["errors"]) == {"city", "postcode", "country", "state"}
    api.post(base, json=HOME)
    assert api.put(f"{base}/1", json={"city": ""}).status_code == 422
    assert api.put(f"{base}/9", json={"city": "X"}).status_code == 404
    assert api.get(f"/profiles/{uuid.uuid4()}/addresses").status_code == 404
