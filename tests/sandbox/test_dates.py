"""Profile dates (``attributes.dates``) through real HTTP, in the shapes of Omneo's reference and
the way the official SDK's tests use them."""

from __future__ import annotations

import sqlite3
import time
import uuid
from collections.abc import Callable
from contextlib import closing
from typing import Any

import httpx

from reconcile.sandbox import ServedSandbox
from reconcile.sandbox.schemas.dates import DateAttribute
from tests.conftest import both_answer_styles

MakeProfile = Callable[..., dict[str, Any]]
WEDDING = {
    "date": "2015-03-14",
    "is_recurring": True,
    "recurring_schedule": "Yearly",
    "name": "Wedding",
    "handle": "wedding",
    "relationship": "partner",
}


def test_dates_given_inline_show_in_the_profile(
    api: httpx.Client, make_profile: MakeProfile
) -> None:
    profile = make_profile(
        dates_attributes=[WEDDING, {"date": "2020-06-01", "name": "Adopted Rex"}]
    )
    dates = profile["attributes"]["dates"]
    assert [(d["handle"], d["date"], d["is_recurring"]) for d in dates] == [
        ("wedding", "2015-03-14", True),
        (None, "2020-06-01", False),
    ]
    for found in dates:
        DateAttribute.model_validate(found)  # every field of the SDK's dates type
        assert found["profile_id"] == profile["id"] and isinstance(found["id"], int)
    assert api.get(f"/profiles/{profile['id']}").json()["data"]["attributes"]["dates"] == dates


@both_answer_styles
def test_an_update_finds_a_date_by_handle_and_relationship(
    api: httpx.Client, make_profile: MakeProfile
) -> None:
    """As the SDK's test does: PUT the profile with dates_attributes, then find the date."""
    profile = make_profile(dates_attributes=[WEDDING])
    [stored] = profile["attributes"]["dates"]
    change = {"date": "2015-03-15", "handle": "wedding", "relationship": "partner", "note": "Moved"}
    other = {"date": "1990-01-02", "handle": "wedding", "relationship": "sister"}
    answer = api.put(f"/profiles/{profile['id']}", json={"dates_attributes": [change, other]})
    assert answer.status_code == 200, answer.text
    dates = answer.json()["data"]["attributes"]["dates"]
    assert [(d["id"] == stored["id"], d["relationship"], d["date"]) for d in dates] == [
        (True, "partner", "2015-03-15"),
        (False, "sister", "1990-01-02"),
    ]
    assert (dates[0]["note"], dates[0]["name"], dates[0]["is_recurring"]) == (
        "Moved",
        "Wedding",
        True,
    )
    untouched = api.put(f"/profiles/{profile['id']}", json={"first_name": "Jo"}).json()["data"]
    assert untouched["attributes"]["dates"] == dates  # absent: left alone


@both_answer_styles
def test_the_dates_sub_resource(api: httpx.Client, make_profile: MakeProfile) -> None:
    profile = make_profile(dates_attributes=[WEDDING])
    url = f"/profiles/{profile['id']}/attributes/dates"
    [wedding] = api.get(url).json()["data"]
    updated = api.put(url, json={**WEDDING, "name": "Our wedding", "note": "Paris"})
    assert updated.status_code == 200, updated.text
    assert updated.json()["data"]["id"] == wedding["id"]
    assert (updated.json()["data"]["name"], updated.json()["data"]["note"]) == (
        "Our wedding",
        "Paris",
    )
    added = api.put(url, json={"date": "2019-09-09", "handle": "rex", "relationship": "pet"})
    assert added.status_code == 200 and added.json()["data"]["id"] != wedding["id"]
    assert len(api.get(url).json()["data"]) == 2
    remaining = api.delete(f"{url}/{wedding['id']}")
    assert remaining.status_code == 200, remaining.text
    assert [d["handle"] for d in remaining.json()["data"]] == ["rex"]
    assert api.delete(f"{url}/{wedding['id']}").status_code == 404
    assert api.delete(f"{url}/not-a-number").status_code == 404
    assert api.delete(f"{url}/99999999999999999999999").status_code == 404
    assert api.get(f"/profiles/{uuid.uuid4()}/attributes/dates").status_code == 404


@both_answer_styles
def test_a_date_of_another_profile_cannot_be_deleted(
    api: httpx.Client, make_profile: MakeProfile
) -> None:
    mine = make_profile(dates_attributes=[WEDDING])
    theirs = make_profile()
    date_id = mine["attributes"]["dates"][0]["id"]
    assert api.delete(f"/profiles/{theirs['id']}/attributes/dates/{date_id}").status_code == 404
    assert len(api.get(f"/profiles/{mine['id']}/attributes/dates").json()["data"]) == 1


@both_answer_styles
def test_dates_are_validated_laravel_style(api: httpx.Client, make_profile: MakeProfile) -> None:
    bad = [{"name": "No date"}, {"date": "2015-02-30", "is_recurring": "yes", "meta": "x"}, 3]
    answer = api.post("/profiles", json={"email": "d@example.com", "dates_attributes": bad})
    assert answer.status_code == 422
    assert answer.json()["errors"] == {
        "dates_attributes.0.date": ["The dates_attributes.0.date field is required."],
        "dates_attributes.1.date": ["The dates_attributes.1.date is not a valid date."],
        "dates_attributes.1.is_recurring": [
            "The dates_attributes.1.is_recurring field must be true or false."
        ],
        "dates_attributes.1.meta": ["The dates_attributes.1.meta must be an object."],
        "dates_attributes.2.date": ["The dates_attributes.2.date field is required."],
    }
    profile = make_profile()
    url = f"/profiles/{profile['id']}/attributes/dates"
    sub = api.put(url, json={"date": "tomorrow", "is_recurring": 1, "name": 5})
    assert sub.status_code == 422
    assert sub.json()["errors"] == {
        "date": ["The date is not a valid date."],
        "is_recurring": ["The is recurring field must be true or false."],
        "name": ["The name must be a string."],
    }
    assert api.get(url).json()["data"] == []


@both_answer_styles
def test_a_date_time_keeps_its_date(api: httpx.Client, make_profile: MakeProfile) -> None:
    profile = make_profile(dates_attributes=[{"date": "2015-03-14T10:30:00Z"}])
    assert profile["attributes"]["dates"][0]["date"] == "2015-03-14"


@both_answer_styles
def test_batch_items_carry_dates(api: httpx.Client) -> None:
    body = {
        "match_criteria": "email",
        "profiles": [{"email": "batch-dates@example.com", "dates_attributes": [WEDDING]}],
    }
    queued = api.post("/profiles/batch", json=body)
    assert queued.status_code == 202, queued.text
    url = f"/batches/{queued.json()['data']['batch_id']}"
    deadline = time.monotonic() + 10
    while (found := api.get(url).json()["data"])["status"] != "completed":
        assert time.monotonic() < deadline
        time.sleep(0.02)
    [item] = found["items"]
    assert item["status"] == "success", item
    profile = api.get(f"/profiles/{item['entity_id']}").json()["data"]
    assert [d["handle"] for d in profile["attributes"]["dates"]] == ["wedding"]


@both_answer_styles
def test_a_purge_erases_the_dates(
    api: httpx.Client, make_profile: MakeProfile, served_sandbox: ServedSandbox
) -> None:
    profile = make_profile(dates_attributes=[WEDDING])
    assert api.delete(f"/profiles/{profile['id']}").status_code == 204
    assert api.get(f"/profiles/{profile['id']}/attributes/dates").status_code == 404
    assert api.delete(f"/profiles/{profile['id']}/purge").status_code == 204
    with closing(sqlite3.connect(served_sandbox.db_path)) as db:
        assert db.execute("SELECT count(*) FROM dates").fetchone() == (0,)
