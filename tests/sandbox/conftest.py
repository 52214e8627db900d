"""Fixtures of the sandbox's own tests: an httpx client on a served (real HTTP) sandbox."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from reconcile.sandbox import READ_ONLY_TOKEN, ServedSandbox


@pytest.fixture
def api(served_sandbox: ServedSandbox) -> Iterator[httpx.Client]:
    """A client with the write token, rooted at ``/api/v3``."""
    headers = {"Authorization": f"Bearer {served_sandbox.token}", "Accept": "application/json"}
    with httpx.Client(base_url=served_sandbox.url, headers=headers, timeout=30) as client:
        yield client


@pytest.fixture
def reader(served_sandbox: ServedSandbox) -> Iterator[httpx.Client]:
    headers = {"Authorization": f"Bearer {READ_ONLY_TOKEN}"}
    with httpx.Client(base_url=served_sandbox.url, headers=headers, timeout=30) as client:
        yield client


@pytest.fixture
def make_profile(api: httpx.Client) -> Callable[..., dict[str, Any]]:
    """Create a profile (201 expected) and return its JSON."""
    counter = iter(range(1, 1_000_000))

    def make(**fields: Any) -> dict[str, Any]:
        fields.setdefault("email", f"person{next(counter)}@example.com")
        answer = api.post("/profiles", json=fields)
        assert answer.status_code == 201, answer.text
        profile: dict[str, Any] = answer.json()["data"]
        return profile

    return make
