"""A sandbox served on loopback answers only to loopback host names: DNS rebinding cannot reach it.

A page that makes a browser call a name it controls, resolved to 127.0.0.1, sends that name in
``Host``; the sandbox answers 421 in the documented error shape (docs/errors.md) before anything
else. A sandbox served beyond loopback has a chosen token and takes any ``Host``.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest

from reconcile.sandbox import DEFAULT_TOKEN, SandboxConfig, ServedSandbox, create_app
from reconcile.sandbox.http.hosts import HostCheck, host_name
from reconcile.sandbox.problems import MESSAGES

AUTH = {"Authorization": f"Bearer {DEFAULT_TOKEN}"}


@pytest.mark.parametrize(
    "host",
    ["evil.example", "evil.example:{port}", "127.0.0.1.evil.example", "localhost.evil.example",
     "[::2]:{port}", "10.0.0.1:{port}", "0.0.0.0:{port}"],
)  # fmt: skip
def test_a_foreign_host_gets_421(served_sandbox: ServedSandbox, host: str) -> None:
    port = httpx.URL(served_sandbox.url).port
    with httpx.Client(base_url=served_sandbox.url, headers=AUTH) as client:
        answer = client.get("/profiles", headers={"Host": host.format(port=port)})
        written = client.post(
            "/profiles", json={"email": "x@example.com"}, headers={"Host": host.format(port=port)}
        )
    assert answer.status_code == 421
    assert answer.json() == {"message": MESSAGES[421]}
    assert answer.headers["content-type"] == "application/json"
    assert written.status_code == 421


@pytest.mark.parametrize(
    "host",
    ["127.0.0.1:{port}", "localhost:{port}", "LOCALHOST", "app.localhost:{port}", "[::1]:{port}",
     "127.0.0.2", "localhost."],
)  # fmt: skip
def test_loopback_names_are_answered(served_sandbox: ServedSandbox, host: str) -> None:
    port = httpx.URL(served_sandbox.url).port
    with httpx.Client(base_url=served_sandbox.url, headers=AUTH) as client:
        answer = client.get("/profiles", headers={"Host": host.format(port=port)})
    assert answer.status_code == 200, answer.text


def test_a_sandbox_served_beyond_loopback_takes_any_host(tmp_path: Path) -> None:
    app = HostCheck(create_app(SandboxConfig(db_path=tmp_path / "s.db")), served="0.0.0.0")

    async def ask() -> int:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://evil.example/api/v3"
        ) as client:
            return (await client.get("/profiles", headers=AUTH)).status_code

    assert asyncio.run(ask()) == 200


def test_host_names_are_read_without_their_port() -> None:
    assert host_name("[::1]:8765") == "::1"
    assert host_name("Example.COM:80") == "example.com"
    assert host_name("localhost") == "localhost"
