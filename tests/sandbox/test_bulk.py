"""Sync, batch, CSV import jobs and the lookups, through real HTTP."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

MakeProfile = Callable[..., dict[str, Any]]


def wait_for(api: httpx.Client, url: str, timeout: float = 10) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        found: dict[str, Any] = api.get(url).json()["data"]
        if found["status"] == "completed" or time.monotonic() > deadline:
            return found
        time.sleep(0.02)


def test_search_id(api: httpx.Client, make_profile: MakeProfile) -> None:
    profile = make_profile(identities=[{"handle": "pos", "identifier": "77"}])
    by_id = api.post("/profiles/search-id", json={"type": "profile_id", "id": profile["id"]})
    assert by_id.json()["data"]["id"] == profile["id"]
    by_identity = api.post("/profiles/search-id", json={"type": "pos", "id": 77})
    assert by_identity.json()["data"]["id"] == profile["id"]
    assert api.post("/profiles/search-id", json={"type": "pos", "id": "78"}).status_code == 404
    assert (
        api.post(
            "/profiles/search-id", json={"type": "profile_id", "id": str(uuid.uuid4())}
        ).status_code
        == 404
    )
    assert set(api.post("/profiles/search-id", json={}).json()["errors"]) == {"type", "id"}


def test_availability(api: httpx.Client, make_profile: MakeProfile) -> None:
    profile = make_profile(email="held@example.com", first_name="Hal", last_name="Held")
    answer = api.post(
        "/profiles/availability", json={"email": "HELD@example.com", "mobile_phone": "+61412555666"}
    )
    assert answer.status_code == 200
    assert answer.json()["data"] == {
        "email": {"available": False, "profile": {"id": profile["id"], "full_name": "Hal Held"}},
        "mobile_phone": {"available": True, "profile": None},
    }
    assert api.post("/profiles/availability", json={}).status_code == 422
    assert api.post("/profiles/availability", json={"mobile_phone": "0412"}).status_code == 422


def test_sync_upserts_by_email_then_mobile(api: httpx.Client, make_profile: MakeProfile) -> None:
    created = api.post("/profiles/sync", json={"email": "s@example.com", "first_name": "Sam"})
    assert created.status_code == 201
    sam = created.json()["data"]
    by_email = api.post(
        "/profiles/sync", json={"email": "S@example.com", "mobile_phone": "+61412000999"}
    )
    assert by_email.status_code == 200 and by_email.json()["data"]["id"] == sam["id"]
    by_mobile = api.post(
        "/profiles/sync", json={"email": "sam2@example.com", "mobile_phone": "+61412000999"}
    )
    assert by_mobile.status_code == 200
    assert by_mobile.json()["data"]["id"] == sam["id"]
    assert by_mobile.json()["data"]["email"] == "sam2@example.com"
    other = make_profile(email="other@example.com")
    both = api.post(
        "/profiles/sync", json={"email": "other@example.com", "mobile_phone": "+61412000999"}
    )
    assert both.status_code == 422
    errors = both.json()["errors"]
    assert set(errors) == {"email", "mobile_phone"} and other["id"] in errors["email"][0]
    assert api.post("/profiles/sync", json={"first_name": "No email"}).status_code == 422


def test_sync_with_only_updated_at_is_queued(api: httpx.Client) -> None:
    answer = api.post("/profiles/sync", json={"updated_at": "2024-01-01 00:00:00"})
    assert answer.status_code == 202
    assert answer.json() == {"data": {"message": "Profiles queued for sync."}}


def test_batch_applies_items_and_records_outcomes(
    api: httpx.Client, make_profile: MakeProfile
) -> None:
    existing = make_profile(email="b1@example.com", first_name="Old")
    answer = api.post(
        "/profiles/batch",
        json={
            "match_criteria": "email",
            "profiles": [
                {"email": "B1@example.com", "first_name": "New"},
                {"email": "b2@example.com", "tags": ["batch"]},
                {"email": "not-an-email"},
            ],
        },
    )
    assert answer.status_code == 202
    data = answer.json()["data"]
    assert data["message"] == "Profiles queued for batch import."
    found = wait_for(api, f"/batches/{data['batch_id']}")
    assert (found["total_count"], found["success_count"], found["failed_count"]) == (3, 2, 1)
    items = found["items"]
    assert items[0]["entity_id"] == existing["id"] and items[0]["status"] == "success"
    assert items[2]["status"] == "failed" and "email" in items[2]["error"]
    assert api.get(f"/profiles/{existing['id']}").json()["data"]["first_name"] == "New"
    assert (
        api.get("/profiles", params={"filter[tags.handle]": "batch"}).json()["meta"]["total"] == 1
    )


def test_batch_by_identity_handle(api: httpx.Client, make_profile: MakeProfile) -> None:
    existing = make_profile(identities=[{"handle": "erp", "identifier": "E1"}])
    answer = api.post(
        "/profiles/batch",
        json={
            "match_criteria": "erp",
            "profiles": [
                {
                    "email": "changed@example.com",
                    "identities": [{"handle": "erp", "identifier": "E1"}],
                },
                {
                    "email": "fresh@example.com",
                    "identities": [{"handle": "erp", "identifier": "E2"}],
                },
            ],
        },
    )
    found = wait_for(api, f"/batches/{answer.json()['data']['batch_id']}")
    assert [i["status"] for i in found["items"]] == ["success", "success"]
    assert found["items"][0]["entity_id"] == existing["id"]
    assert api.get(f"/profiles/{existing['id']}").json()["data"]["email"] == "changed@example.com"


def test_batch_envelope_errors(api: httpx.Client, reader: httpx.Client) -> None:
    assert set(api.post("/profiles/batch", json={}).json()["errors"]) == {
        "match_criteria",
        "profiles",
    }
    many = {"match_criteria": "email", "profiles": [{"email": f"{i}@x.io"} for i in range(501)]}
    assert api.post("/profiles/batch", json=many).json()["errors"]["profiles"] == [
        "The profiles may not have more than 500 items."
    ]
    assert (
        api.post("/profiles/batch", json={"match_criteria": "email", "profiles": [1]}).status_code
        == 422
    )
    assert reader.post("/profiles/batch", json={}).status_code == 403
    assert api.get(f"/batches/{uuid.uuid4()}").status_code == 404


def test_csv_import_job(api: httpx.Client, make_profile: MakeProfile) -> None:
    existing = make_profile(email="c1@example.com")
    csv = (
        "\ufeffemail,first_name,mobile_phone,tags,identity:pos,comms:email_promo,custom:loyalty:points:integer\r\n"
        "C1@example.com,Cy,,vip|gold,P1,true,10\r\n"
        "c2@example.com,Di,+61412777888,,,,\r\n"
        "c3@example.com,,0412,,,maybe,ten\r\n"
    )
    answer = api.post("/import-jobs", content=csv.encode(), headers={"Content-Type": "text/csv"})
    assert answer.status_code == 202, answer.text
    job = answer.json()["data"]
    assert job["message"] == "Import job queued." and job["total_rows"] == 3
    done = wait_for(api, f"/import-jobs/{job['id']}")
    rows = done["rows"]
    assert [r["row"] for r in rows] == [2, 3, 4]
    assert [r["status"] for r in rows] == ["success", "success", "failed"]
    assert rows[0]["profile_id"] == existing["id"]
    # every bad cell of the row: two that cannot be read, and a mobile that breaks its rule
    assert set(rows[2]["errors"]) == {
        "comms:email_promo",
        "custom:loyalty:points:integer",
        "mobile_phone",
    }
    profile = api.get(f"/profiles/{existing['id']}").json()["data"]
    assert profile["tags"] == ["vip", "gold"] and profile["first_name"] == "Cy"
    assert profile["identities"][0]["identifier"] == "P1"
    assert profile["custom_attributes"] == {"loyalty": {"points": 10}}
    assert profile["attributes"]["comms"]["email_promo"] is True


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_import_rows_are_the_lines_of_the_file(api: httpx.Client, newline: str) -> None:
    """A quoted cell spanning lines and a blank line do not shift the reported line."""
    lines = [
        "email,company",  # line 1
        'multi@example.com,"Acme',  # line 2: the record starts here ...
        'Pty Ltd"',  # line 3: ... and ends here
        "bad-email,Acme",  # line 4
        "",  # line 5: blank
        "last@example.com,Acme",  # line 6
    ]
    body = newline.join(lines) + newline
    job = api.post("/import-jobs", content=body.encode(), headers={"Content-Type": "text/csv"})
    assert job.status_code == 202, job.text
    done = wait_for(api, f"/import-jobs/{job.json()['data']['id']}")
    assert [(row["row"], row["status"]) for row in done["rows"]] == [
        (2, "success"),
        (4, "failed"),
        (6, "success"),
    ]
    assert list(done["rows"][1]["errors"]) == ["email"]
    stored = api.get("/profiles", params={"filter[email]": "multi@example.com"}).json()["data"]
    assert stored[0]["company"] == f"Acme{newline}Pty Ltd"


def test_a_row_with_two_bad_cells_reports_both(api: httpx.Client) -> None:
    csv = "email,birth_day,comms:sms_promo\nnot-an-email,42,perhaps\nok@example.com,40,\n"
    job = api.post("/import-jobs", content=csv.encode(), headers={"Content-Type": "text/csv"})
    assert job.status_code == 202, job.text
    rows = wait_for(api, f"/import-jobs/{job.json()['data']['id']}")["rows"]
    assert [row["status"] for row in rows] == ["failed", "failed"]
    assert set(rows[0]["errors"]) == {"email", "birth_day", "comms:sms_promo"}
    assert set(rows[1]["errors"]) == {"birth_day"}


def test_csv_import_refuses_a_bad_file(api: httpx.Client) -> None:
    bad = api.post("/import-jobs", content=b"email,shoe_size\na@x.io,9\n")
    assert bad.status_code == 422 and bad.json()["errors"]["file"] == [
        "Unknown column `shoe_size`."
    ]
    no_key = api.post("/import-jobs", params={"match_criteria": "pos"}, content=b"email\na@x.io\n")
    assert no_key.status_code == 422
    latin = api.post("/import-jobs", content="email,first_name\na@x.io,Zo\xeb\n".encode("latin-1"))
    assert latin.json()["errors"]["file"] == ["The file must be UTF-8 encoded."]
    assert api.get(f"/import-jobs/{uuid.uuid4()}").status_code == 404


def test_a_stored_batch_resumes_after_a_restart(tmp_path: Path) -> None:
    from reconcile.sandbox import DEFAULT_TOKEN, SandboxConfig, serve_in_thread
    from reconcile.sandbox.storage.batch import Item, enqueue
    from reconcile.sandbox.storage.store import Store

    config = SandboxConfig(db_path=tmp_path / "resume.db")
    store = Store(config.db_path)
    with store.write() as conn:  # queued by a sandbox that stopped before applying it
        batch_id = enqueue(conn, "email", [Item({"email": "later@example.com"})])
    store.close()
    headers = {"Authorization": f"Bearer {DEFAULT_TOKEN}"}
    with (
        serve_in_thread(config) as served,
        httpx.Client(base_url=served.url, headers=headers) as api,
    ):
        found = wait_for(api, f"/batches/{batch_id}")
        assert [item["status"] for item in found["items"]] == ["success"]
        assert (
            api.get("/profiles", params={"filter[email]": "later@example.com"}).json()["meta"][
                "total"
            ]
            == 1
        )
