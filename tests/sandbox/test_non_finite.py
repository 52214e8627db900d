"""Non-finite numbers (NaN, Infinity, -Infinity) never enter the sandbox, and none already stored
can make a read fail.

Python's ``json`` reads these tokens, so before the fix one ``Infinity`` in a custom attribute was
stored (201) and every later ``GET /profiles`` answered 500.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from reconcile.sandbox import ServedSandbox
from tests.conftest import both_answer_styles

MakeProfile = Callable[..., dict[str, Any]]
TOKENS = ("NaN", "Infinity", "-Infinity", "1e999")
FINITE_MESSAGE = "The {} must be a finite number."
ADDRESS = {"address_line_1": "1 Main St", "city": "Sydney", "state": "NSW", "postcode": "2000",
           "country": "AU"}  # fmt: skip


def send(api: httpx.Client, method: str, url: str, text: str) -> httpx.Response:
    """A request whose body is ``text`` as is (httpx itself refuses to encode a NaN)."""
    headers = {"Content-Type": "application/json"}
    return api.request(method, url, content=text.encode(), headers=headers)


def assert_refused(answer: httpx.Response, field: str) -> None:
    assert answer.status_code == 422, answer.text
    body = answer.json()
    assert body["message"] == "The given data was invalid."
    assert body["errors"][field] == [FINITE_MESSAGE.format(field)], body


def assert_reads_work(api: httpx.Client) -> None:
    for url in (
        "/profiles?page[size]=500",
        "/identities?include=profile&page[size]=500",
        "/profiles?filter[tags.handle]=vip",
        "/profiles?search=person",
    ):
        answer = api.get(url)
        assert answer.status_code == 200, (url, answer.text[:300])


def write_routes(profile: dict[str, Any], token: str) -> list[tuple[str, str, str, str]]:
    """(method, url, body, field named in the 422) for every JSON write route."""
    base = f"/profiles/{profile['id']}"
    custom = f'[{{"namespace": "n", "handle": "h", "type": "float", "value": {token}}}]'
    return [
        ("POST", "/profiles", f'{{"email": "new@example.com", "custom_attributes": {custom}}}',
         "custom_attributes.0.value"),
        ("POST", "/profiles", f'{{"email": "new@example.com", "birth_day": {token}}}', "birth_day"),
        ("PUT", base, f'{{"custom_attributes": {custom}}}', "custom_attributes.0.value"),
        ("PUT", f"{base}/attributes/custom/n:h", f'{{"type": "float", "value": {token}}}', "value"),
        ("PUT", f"{base}/attributes/comms", f'{{"email_promo": {token}}}', "email_promo"),
        ("POST", "/profiles/sync", f'{{"email": "s@example.com", "custom_attributes": {custom}}}',
         "custom_attributes.0.value"),
        ("POST", "/profiles/batch",
         f'{{"match_criteria": "email", "profiles": [{{"email": "b@example.com"}},'
         f' {{"email": "c@example.com", "custom_attributes": {custom}}}]}}',
         "profiles.1.custom_attributes.0.value"),
        ("POST", f"{base}/identities", f'{{"handle": "pos", "identifier": {token}}}', "identifier"),
        ("PUT", f"{base}/identities/owner", f'{{"is_active": {token}}}', "is_active"),
        ("POST", f"{base}/addresses",
         f'{{"address_line_1": "1 Main St", "city": "Sydney", "state": "NSW", "postcode": "2000",'
         f' "country": "AU", "latitude": {token}}}', "latitude"),
        ("PUT", f"{base}/addresses/1", f'{{"geo": {{"lat": 1.5, "lng": [{token}]}}}}', "geo.lng.0"),
        ("PUT", f"{base}/update-type", f'{{"profile_type": "active", "x": {token}}}', "x"),
    ]  # fmt: skip


@pytest.mark.parametrize("token", TOKENS)
def test_every_write_route_refuses_a_non_finite_number(
    api: httpx.Client, make_profile: MakeProfile, token: str
) -> None:
    profile = make_profile(
        identities=[{"handle": "owner", "identifier": "k1"}], addresses=[ADDRESS], tags=["vip"]
    )
    for method, url, text, field in write_routes(profile, token):
        assert_refused(send(api, method, url, text), field)
    after = api.get(f"/profiles/{profile['id']}").json()["data"]
    assert after["custom_attributes"] == {} and after["attributes"]["comms"]["email_promo"] is None
    assert [a.get("latitude") for a in after["addresses"]] == [None]
    listed = api.get("/profiles").json()
    assert listed["meta"]["total"] == 1, "no refused create or sync left a profile behind"
    assert_reads_work(api)


@both_answer_styles
def test_every_field_is_named_at_once(api: httpx.Client) -> None:
    text = '{"email": "x@example.com", "birth_day": NaN, "tags": ["a", Infinity, -Infinity]}'
    answer = send(api, "POST", "/profiles", text)
    assert answer.status_code == 422
    assert set(answer.json()["errors"]) == {"birth_day", "tags.1", "tags.2"}


@both_answer_styles
def test_a_bare_non_finite_body_is_malformed(api: httpx.Client) -> None:
    answer = send(api, "POST", "/profiles", "NaN")
    assert answer.status_code == 400
    assert answer.json() == {"message": "The request body is not valid JSON."}


@both_answer_styles
def test_the_import_fails_a_row_with_a_non_finite_cell(api: httpx.Client) -> None:
    rows = [
        "email,custom:n:score:float,custom:n:doc:json",
        "ok@example.com,1.5,[1]",
        "nan@example.com,nan,",
        "inf@example.com,-inf,",
        "big@example.com,1e999,",
        'json@example.com,,"[1,NaN]"',
    ]
    answer = api.post("/import-jobs", content="\n".join(rows).encode())
    assert answer.status_code == 202, answer.text
    job = answer.json()["data"]["id"]
    for _ in range(100):
        found = api.get(f"/import-jobs/{job}").json()["data"]
        if found["status"] == "completed":
            break
        time.sleep(0.05)
    outcome = {row["row"]: (row["status"], sorted(row["errors"] or {})) for row in found["rows"]}
    assert outcome == {
        2: ("success", []),
        3: ("failed", ["custom:n:score:float"]),
        4: ("failed", ["custom:n:score:float"]),
        5: ("failed", ["custom:n:score:float"]),
        6: ("failed", ["custom:n:doc:json"]),
    }
    assert_reads_work(api)


def test_values_already_stored_cannot_break_a_read(
    api: httpx.Client, make_profile: MakeProfile, served_sandbox: ServedSandbox
) -> None:
    """What an older sandbox wrote (Python's json writes NaN and Infinity) reads as null."""
    profile = make_profile(
        first_name="Person",
        mobile_phone="+61412345678",
        tags=["vip"],
        identities=[{"handle": "owner", "identifier": "k1"}],
        custom_attributes=[
            {"namespace": "n", "handle": h, "type": "float", "value": 1.0} for h in "abc"
        ],
    )
    pid = profile["id"]
    with sqlite3.connect(served_sandbox.db_path) as conn:
        for handle, text in (("a", "Infinity"), ("b", "[1, NaN]"), ("c", "-Infinity")):
            conn.execute(
                "UPDATE custom_attributes SET value = ? WHERE profile_id = ? AND handle = ?",
                (text, pid, handle),
            )
        doc = json.loads(
            conn.execute("SELECT doc FROM profiles WHERE id = ?", (pid,)).fetchone()[0]
        )
        doc["addresses"] = [
            {**ADDRESS, "id": 1, "latitude": float("nan")},
            {"id": 2, "address_line_1": 5, "is_default": "yes"},  # not text, fields missing
        ]
        conn.execute("UPDATE profiles SET doc = ? WHERE id = ?", (json.dumps(doc), pid))
    assert_reads_work(api)
    read = api.get(f"/profiles/{pid}")
    assert read.status_code == 200, read.text
    assert read.json()["data"]["custom_attributes"] == {"n": {"a": None, "b": [1, None], "c": None}}
    assert read.json()["data"]["addresses"][0]["latitude"] is None
    second = api.get(f"/profiles/{pid}/addresses/2")
    assert second.status_code == 200, second.text
    assert second.json()["data"]["address_line_1"] == "5"
    listed = api.get("/identities?include=profile").json()["data"]
    assert listed[0]["profile"]["custom_attributes"]["n"]["a"] is None
    for url in (
        f"/profiles/{pid}/attributes/custom",
        f"/profiles/{pid}/attributes/custom/n:a",
        f"/profiles/{pid}/addresses",
        f"/profiles/{pid}/addresses/1",
        "/profiles/attributes/custom?attributes[0][namespace]=n&attributes[0][handle]=a"
        "&attributes[0][value]=1",
    ):
        answer = api.get(url)
        assert answer.status_code == 200, (url, answer.text[:300])
    update = api.put(f"/profiles/{pid}", json={"first_name": "Again"})
    assert update.status_code == 200, update.text
    assert update.json()["data"]["addresses"][0]["latitude"] is None
