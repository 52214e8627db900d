"""Hostile or odd input never makes the sandbox answer 5xx: it is a 400, 404 or 422."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconcile.sandbox import DEFAULT_TOKEN, SandboxConfig, serve_in_thread

HUGE = 10**30
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=12,
)
FIELDS = [
    "email",
    "first_name",
    "mobile_phone",
    "birth_day",
    "birth_month",
    "birth_year",
    "gender",
    "profile_type",
    "joined_at",
    "tags",
    "identities",
    "attributes",
    "custom_attributes",
    "addresses",
    "currency",
    "avatar_url",
    "joined_location_id",
]
bodies = st.dictionaries(st.sampled_from(FIELDS), json_values, max_size=6)


def nasty(profile: str) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        ("POST", "/profiles", {"content": b"[" * 100_000}),
        ("POST", "/profiles", {"content": b"\xff\xfe"}),
        ("POST", "/profiles", {"content": b'{"email": NaN}'}),
        ("GET", f"/profiles?page[number]={HUGE}", {}),
        ("GET", f"/profiles?page[size]={HUGE}", {}),
        ("GET", f"/identities?page[number]={HUGE}", {}),
        ("GET", f"/profiles/{profile}/identities/id/{HUGE}", {}),
        ("GET", f"/profiles/{profile}/addresses/{HUGE}", {}),
        ("GET", "/profiles?search=" + "abcd " * 300, {}),
        ("GET", "/profiles?filter[email]=&sort=", {}),
        (
            "POST",
            "/profiles",
            {"json": {"email": "b@x.io", "birth_day": HUGE, "joined_location_id": HUGE}},
        ),
        (
            "PUT",
            f"/profiles/{profile}/attributes/custom/a:b",
            {"json": {"type": "integer", "value": HUGE}},
        ),
        ("POST", "/profiles/search-id", {"json": {"type": "profile_id", "id": HUGE}}),
        ("POST", "/import-jobs", {"content": b""}),
        ("POST", "/import-jobs", {"content": b"email\n\x00\x00"}),
        ("PUT", f"/profiles/{profile}/update-type", {"json": {"profile_type": ["active"]}}),
    ]


def test_never_a_server_error(tmp_path: Path) -> None:
    headers = {"Authorization": f"Bearer {DEFAULT_TOKEN}"}
    with (
        serve_in_thread(SandboxConfig(db_path=tmp_path / "r.db")) as served,
        httpx.Client(base_url=served.url, headers=headers, timeout=30) as api,
    ):
        profile = api.post("/profiles", json={"email": "a@x.io"}).json()["data"]["id"]
        for method, url, options in nasty(profile):
            answer = api.request(method, url, **options)
            assert answer.status_code < 500, (method, url, answer.text)

        @settings(max_examples=80, deadline=None, suppress_health_check=list(HealthCheck))
        @given(body=bodies)
        def fuzz(body: dict[str, Any]) -> None:
            created = api.post("/profiles", json=body)
            assert created.status_code in (201, 422), (body, created.text)
            updated = api.put(f"/profiles/{profile}", json=body)
            assert updated.status_code in (200, 422), (body, updated.text)
            synced = api.post("/profiles/sync", json=body)
            assert synced.status_code in (200, 201, 202, 422), (body, synced.text)

        fuzz()
