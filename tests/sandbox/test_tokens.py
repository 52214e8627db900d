"""A chosen sandbox token: `reconcile sandbox serve --token` (or its environment variable), a
read-only token beside it, and the refusal to serve the published tokens beyond loopback."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from reconcile.sandbox import (
    DEFAULT_TOKEN,
    READ_ONLY_TOKEN,
    READ_TOKEN_ENV,
    TOKEN_ENV,
    SandboxConfig,
    SandboxRefused,
    chosen_tokens,
    serve_in_thread,
)
from reconcile.sandbox.http.access import check_exposure
from reconcile.sandbox.http.server import free_port
from tests.conftest import REPO, Project

WRITE = "w-" + "7f3a9c" * 5
READ = "r-" + "41be08" * 5


def _client(url: str, token: str | None) -> httpx.Client:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.Client(base_url=url, headers=headers, timeout=10)


def _statuses(url: str) -> dict[str | None, tuple[int, int]]:
    """(GET /profiles, POST /profiles) status for each token tried."""
    found = {}
    for number, token in enumerate((WRITE, READ, DEFAULT_TOKEN, READ_ONLY_TOKEN, None)):
        with _client(url, token) as client:
            read = client.get("/profiles").status_code
            write = client.post("/profiles", json={"email": f"t{number}@example.com"}).status_code
        found[token] = (read, write)
    return found


EXPECTED = {
    WRITE: (200, 201),
    READ: (200, 403),
    DEFAULT_TOKEN: (401, 401),
    READ_ONLY_TOKEN: (401, 401),
    None: (401, 401),
}


def test_a_chosen_token_retires_the_published_ones(tmp_path: Path) -> None:
    config = SandboxConfig(db_path=tmp_path / "s.db", tokens=chosen_tokens(WRITE, READ))
    with serve_in_thread(config) as served:
        assert served.token == WRITE
        assert _statuses(served.url) == EXPECTED
        with _client(served.url, READ) as reader:
            refused = reader.post("/profiles", json={"email": "r@example.com"})
        assert refused.json() == {"message": "This action is unauthorized."}


@contextmanager
def _serve_cli(tmp_path: Path, env: dict[str, str]) -> Iterator[str]:
    """``reconcile sandbox serve`` in its own process on a free loopback port; its base URL."""
    port = free_port()
    args = ["sandbox", "serve", "--port", str(port), "--db", str(tmp_path / "cli.db")]
    inherited = {k: v for k, v in os.environ.items() if k not in (TOKEN_ENV, READ_TOKEN_ENV)}
    process = subprocess.Popen(
        [sys.executable, "-m", "reconcile", "-C", str(tmp_path), *args],
        cwd=REPO, env={**inherited, **env},
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}/api/v3"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"{url}/openapi.json", timeout=1)
                break
            except httpx.TransportError:
                assert process.poll() is None and time.monotonic() < deadline, "did not start"
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        _, stderr = process.communicate(timeout=30)
        assert WRITE.encode() not in stderr and READ.encode() not in stderr  # never printed


def test_serve_takes_its_tokens_from_the_environment(tmp_path: Path) -> None:
    with _serve_cli(tmp_path, {TOKEN_ENV: WRITE, READ_TOKEN_ENV: READ}) as url:
        assert _statuses(url) == EXPECTED


@pytest.mark.parametrize(
    "args",
    [
        ["--host", "0.0.0.0"],
        ["--host", "192.0.2.10", "--read-token", READ],  # the published write token remains
    ],
)
def test_serve_refuses_a_network_host_with_the_published_token(
    project: Project, args: list[str]
) -> None:
    refused = project.cli("sandbox", "serve", "--port", str(free_port()), *args)
    assert refused.exit_code == 1
    [line] = refused.stderr.splitlines()
    assert line.startswith("error: refusing to listen on ")
    assert "--token" in line and TOKEN_ENV in line
    assert "Serving" not in refused.stderr and "Traceback" not in refused.stderr


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--token", "short"], "--token must be at least 16 printable characters"),
        (["--token", DEFAULT_TOKEN], "--token may not be a published sandbox token"),
        (["--token", WRITE, "--read-token", WRITE], "--token and --read-token must differ"),
        (["--read-token", "has a space in it!"], "--read-token must be at least 16"),
    ],
)
def test_serve_refuses_a_weak_token_in_one_line(
    project: Project, args: list[str], says: str
) -> None:
    refused = project.cli("sandbox", "serve", "--port", str(free_port()), *args)
    assert refused.exit_code == 1
    [line] = refused.stderr.splitlines()
    assert says in line and "Traceback" not in refused.stderr


def test_only_published_tokens_are_held_to_loopback(tmp_path: Path) -> None:
    published = SandboxConfig(db_path=tmp_path / "p.db")
    chosen = SandboxConfig(db_path=tmp_path / "c.db", tokens=chosen_tokens(WRITE, None))
    for host in ("127.0.0.1", "127.8.9.10", "::1", "localhost"):
        check_exposure(published, host)
    for host in ("0.0.0.0", "::", "192.0.2.10", "sandbox.example.com"):
        with pytest.raises(SandboxRefused):
            check_exposure(published, host)
        check_exposure(chosen, host)
