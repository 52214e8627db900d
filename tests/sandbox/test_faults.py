"""Faults on demand: latency, rate limit, 5xx share, dropped connections (real sockets too)."""

from __future__ import annotations

import asyncio
import socket
import sqlite3
import time
from pathlib import Path

import httpx
import pytest

from reconcile.sandbox import (
    DEFAULT_TOKEN,
    ConnectionDropped,
    SandboxConfig,
    create_app,
    serve_in_thread,
)

AUTH = {"Authorization": f"Bearer {DEFAULT_TOKEN}"}


def count_profiles(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        return int(conn.execute("SELECT count(*) FROM profiles").fetchone()[0])


def test_rate_limit_answers_429_with_retry_after(tmp_path: Path) -> None:
    config = SandboxConfig(db_path=tmp_path / "s.db", rate_limit_rps=1)
    with serve_in_thread(config) as served, httpx.Client(base_url=served.url, headers=AUTH) as api:
        assert api.get("/profiles").status_code == 200
        limited = api.get("/profiles")
        assert limited.status_code == 429
        assert limited.headers["Retry-After"] == "1"
        assert limited.json() == {"message": "Too Many Attempts."}
        assert api.get("/openapi.json").status_code == 200  # the description is never limited
        time.sleep(1.05)
        assert api.get("/profiles").status_code == 200


def test_error_rate_answers_before_processing(tmp_path: Path) -> None:
    config = SandboxConfig(db_path=tmp_path / "s.db", error_rate=1)
    with serve_in_thread(config) as served, httpx.Client(base_url=served.url, headers=AUTH) as api:
        answer = api.post("/profiles", json={"email": "e@example.com"})
        assert answer.status_code == 503
        assert answer.json() == {"message": "Service unavailable (simulated fault)."}
    assert count_profiles(config.db_path) == 0


def test_error_rate_is_a_seeded_share(tmp_path: Path) -> None:
    config = SandboxConfig(db_path=tmp_path / "s.db", error_rate=0.5, seed=7)
    with serve_in_thread(config) as served, httpx.Client(base_url=served.url, headers=AUTH) as api:
        statuses = [api.get("/profiles").status_code for _ in range(60)]
    assert set(statuses) == {200, 503}
    assert 15 <= statuses.count(503) <= 45


def test_latency(tmp_path: Path) -> None:
    config = SandboxConfig(db_path=tmp_path / "s.db", latency_ms=150)
    with serve_in_thread(config) as served, httpx.Client(base_url=served.url, headers=AUTH) as api:
        started = time.monotonic()
        assert api.get("/profiles").status_code == 200
        assert time.monotonic() - started >= 0.15


def test_drop_over_http_closes_the_socket_after_processing(tmp_path: Path) -> None:
    config = SandboxConfig(db_path=tmp_path / "s.db", drop_rate=1)
    with serve_in_thread(config) as served:
        host, port = served.url.split("//")[1].split("/")[0].split(":")
        body = b'{"email": "dropped@example.com"}'
        request = (
            f"POST /api/v3/profiles HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer "
            f"{DEFAULT_TOKEN}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        ).encode() + body
        with socket.create_connection((host, int(port)), timeout=5) as raw:
            raw.sendall(request)
            try:
                received = raw.recv(65536)
            except ConnectionResetError:
                received = b""
        assert received == b""  # no HTTP answer at all: not even a status line
        with (
            httpx.Client(base_url=served.url, headers=AUTH) as api,
            pytest.raises(httpx.TransportError),
        ):
            api.post("/profiles", json={"email": "second@example.com"})
    assert count_profiles(config.db_path) == 2  # both were processed before the drop


def test_drop_in_process_raises_connection_dropped(tmp_path: Path) -> None:
    config = SandboxConfig(db_path=tmp_path / "s.db", drop_rate=1)
    app = create_app(config)

    async def call() -> None:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://sandbox/api/v3") as api:
            await api.post("/profiles", json={"email": "inproc@example.com"}, headers=AUTH)

    with pytest.raises(ConnectionDropped):
        asyncio.run(call())
    assert count_profiles(config.db_path) == 1


def test_no_faults_by_default(tmp_path: Path) -> None:
    config = SandboxConfig(db_path=tmp_path / "s.db")
    assert (config.latency_ms, config.rate_limit_rps, config.error_rate, config.drop_rate) == (
        0,
        None,
        0,
        0,
    )


def test_throttle_rate_answers_429_before_processing_and_counts(tmp_path: Path) -> None:
    config = SandboxConfig(db_path=tmp_path / "s.db", throttle_rate=1)
    with serve_in_thread(config) as served, httpx.Client(base_url=served.url, headers=AUTH) as api:
        answer = api.post("/profiles", json={"email": "t@example.com"})
        assert (answer.status_code, answer.headers["Retry-After"]) == (429, "1")
        assert answer.json() == {"message": "Too Many Attempts."}
        assert served.app.injected["429"] == 1
    assert count_profiles(config.db_path) == 0
