"""At scale (slow): a reconciler lists 10,000 managed profiles in 20 calls; search stays quick."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest

from reconcile.sandbox import DEFAULT_TOKEN, SandboxConfig, serve_in_thread
from reconcile.sandbox.rules.validation import validate_profile
from reconcile.sandbox.storage.profiles import create_profile
from reconcile.sandbox.storage.store import Store

COUNT = 10_000


def seed(path: Path) -> None:
    store = Store(path)
    with store.write() as conn:
        for i in range(COUNT):
            body = {
                "email": f"p{i}@example.com",
                "first_name": f"Person{i}",
                "last_name": "Smith",
                "mobile_phone": f"+614{i:08d}",
                "tags": ["seeded"],
                "identities": [{"handle": "reconcile", "identifier": f"key-{i}"}],
            }
            clean, errors = validate_profile(body, creating=True)
            create_profile(conn, clean, errors)
    store.close()


@pytest.mark.slow
def test_ten_thousand_profiles_in_twenty_calls(tmp_path: Path) -> None:
    config = SandboxConfig(db_path=tmp_path / "big.db")
    seed(config.db_path)
    headers = {"Authorization": f"Bearer {DEFAULT_TOKEN}"}
    with (
        serve_in_thread(config) as served,
        httpx.Client(base_url=served.url, headers=headers, timeout=120) as api,
    ):
        started = time.monotonic()
        seen: set[str] = set()
        url: str | None = "/identities?filter[handle]=reconcile&include=profile&page[size]=500"
        calls = 0
        while url:
            page = api.get(url).json()
            calls += 1
            seen |= {item["profile"]["id"] for item in page["data"]}
            url = page["links"]["next"]
        listing = time.monotonic() - started
        assert (calls, len(seen)) == (20, COUNT)
        assert listing < 60, listing
        api.get("/profiles", params={"search": "warmup"})  # builds the index
        started = time.monotonic()
        found = api.get("/profiles", params={"search": "persn123 smiht"}).json()
        assert found["data"][0]["first_name"] == "Person123"
        assert time.monotonic() - started < 2
