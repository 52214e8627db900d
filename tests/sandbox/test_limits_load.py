"""No single request can stall the sandbox or fill its memory (issue: one request with 40,000 tags
took 12 s under the store's lock and stalled every other request; a 300 MB body drove the server
to about 880 MB)."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from reconcile.sandbox import DEFAULT_TOKEN
from reconcile.sandbox.http.server import free_port

MakeProfile = Callable[..., dict[str, Any]]
SERVE = (
    "import sys; from pathlib import Path; from reconcile.sandbox import SandboxConfig, serve; "
    "serve(SandboxConfig(db_path=Path(sys.argv[1])), port=int(sys.argv[2]))"
)
MIB = 1024 * 1024


STALL = 4.0  # seconds: what counts as a stalled request, far above a loaded machine's noise


def latencies_while(api: httpx.Client, url: str, busy: threading.Thread) -> list[float]:
    """How long each read of ``url`` took while ``busy`` ran (at least one read)."""
    seconds: list[float] = []
    busy.start()
    while busy.is_alive() or not seconds:
        started = time.perf_counter()
        assert api.get(url).status_code == 200
        seconds.append(time.perf_counter() - started)
    busy.join()
    return seconds


def test_a_request_with_40000_tags_is_refused_at_once_and_stalls_nobody(
    api: httpx.Client, make_profile: MakeProfile
) -> None:
    profile = make_profile()
    answers: list[tuple[int, float]] = []

    def flood() -> None:
        with httpx.Client(base_url=api.base_url, headers=api.headers, timeout=60) as client:
            for n in range(5):
                body = {"email": f"big{n}@example.com", "tags": [f"t{i}" for i in range(40_000)]}
                started = time.perf_counter()
                answer = client.post("/profiles", json=body)
                answers.append((answer.status_code, time.perf_counter() - started))

    reads = latencies_while(api, f"/profiles/{profile['id']}", threading.Thread(target=flood))
    assert [status for status, _ in answers] == [422] * 5
    # Generous bounds so a loaded CI machine does not fail them; before the limits, one such
    # request took 12 s under the store's lock and every read waited behind it.
    assert max(seconds for _, seconds in answers) < STALL, answers
    assert max(reads) < STALL, f"a read waited {max(reads):.2f} s"


def test_a_big_batch_does_not_stall_reads(api: httpx.Client, make_profile: MakeProfile) -> None:
    """500 profiles with 100 tags each: the worker applies them a few at a time."""
    profile = make_profile()
    profiles = [
        {"email": f"b{n}@example.com", "tags": [f"tag {n} {i}" for i in range(100)]}
        for n in range(500)
    ]
    queued = api.post("/profiles/batch", json={"match_criteria": "email", "profiles": profiles})
    assert queued.status_code == 202, queued.text[:200]
    batch = queued.json()["data"]["batch_id"]

    def wait() -> None:
        with httpx.Client(base_url=api.base_url, headers=api.headers, timeout=60) as client:
            while client.get(f"/batches/{batch}").json()["data"]["status"] != "completed":
                time.sleep(0.05)

    reads = latencies_while(api, f"/profiles/{profile['id']}", threading.Thread(target=wait))
    assert api.get("/profiles").json()["meta"]["total"] == 501
    assert max(reads) < STALL, f"a read waited {max(reads):.2f} s"


@pytest.fixture
def sandbox_process(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[bytes], int]]:
    """The sandbox served by its own process, so its memory can be read from /proc."""
    if not Path("/proc/self/status").exists():
        pytest.skip("reads the server's peak memory from /proc")
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-c", SERVE, str(tmp_path / "m.db"), str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"http://127.0.0.1:{port}/api/v3/openapi.json", timeout=1)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "the sandbox did not start"
                time.sleep(0.1)
        yield process, port
    finally:
        process.terminate()
        process.wait(timeout=30)


def peak_memory(pid: int) -> int:
    """The process's peak resident memory (VmHWM), in bytes."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmHWM")


def declared_only(port: int, size: int) -> bytes:
    """The answer to a POST that declares ``size`` bytes and sends none of them."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
        raw.sendall(
            "POST /api/v3/profiles HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Authorization: Bearer {DEFAULT_TOKEN}"
            f"\r\nContent-Type: application/json\r\nContent-Length: {size}\r\n\r\n".encode()
        )
        answer = b""
        while chunk := raw.recv(4096):  # the server closes the connection after its answer
            answer += chunk
        return answer


def test_a_300_mb_body_is_refused_before_it_is_read(
    sandbox_process: tuple[subprocess.Popen[bytes], int],
) -> None:
    process, port = sandbox_process
    url = f"http://127.0.0.1:{port}/api/v3"
    before = peak_memory(process.pid)
    head = declared_only(port, 300 * MIB)
    assert head.startswith(b"HTTP/1.1 413"), head[:200]
    assert b'{"message": "The request body is too large."}' in head

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it streams in
        for _ in range(300):
            yield b" " * MIB

    headers = {"Authorization": f"Bearer {DEFAULT_TOKEN}"}
    with httpx.Client(base_url=url, headers=headers, timeout=60) as client:
        started = time.perf_counter()
        answer = client.post("/profiles", content=chunks())
        seconds = time.perf_counter() - started
        assert answer.status_code == 413, answer.text[:200]
        assert client.get("/profiles").status_code == 200, "the server goes on serving"
    grown = peak_memory(process.pid) - before
    assert grown < 64 * MIB, f"the server's peak memory grew by {grown / MIB:.0f} MiB"
    assert seconds < 5, f"refusing the stream took {seconds:.1f} s"
