"""The benchmark's sandbox process: seed a tenant fast, then serve it with uvicorn on a free port.

Run by ``run.py``, not by hand::

    python tests/bench/server.py --db /tmp/t.db --seed 10000 --latency-ms 20 [--rate-limit 100]

It prints ``PORT <n>`` once it listens on 127.0.0.1. Seeding is not what the benchmark measures,
so it writes through the sandbox's own validation and store in this process, many profiles per
transaction, with no HTTP, latency or rate limit. Every request under ``/api/v3/`` is counted by a
middleware outside the fault injector (429 answers included); ``GET /__bench/stats`` returns the
counts and this process's CPU seconds, ``POST /__bench/reset`` zeroes them.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import socket
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import synth
import uvicorn

from reconcile.sandbox import SandboxConfig, create_app

SEED_CHUNK = 1000


class CountingApp:
    """ASGI middleware: counts API requests by status, and answers ``/__bench/*`` itself."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.statuses: Counter[int] = Counter()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        if path.startswith("/__bench/"):
            await self._bench(path, send)
            return

        async def counted(message: Any) -> None:
            if message["type"] == "http.response.start" and path.startswith("/api/v3/"):
                self.statuses[int(message["status"])] += 1
            await send(message)

        await self.app(scope, receive, counted)

    async def _bench(self, path: str, send: Any) -> None:
        if path == "/__bench/reset":
            self.statuses.clear()
        usage = resource.getrusage(resource.RUSAGE_SELF)
        body = json.dumps(
            {
                "requests": sum(self.statuses.values()),
                "statuses": {str(k): v for k, v in sorted(self.statuses.items())},
                "cpu_s": usage.ru_utime + usage.ru_stime,
                "rss_mb": usage.ru_maxrss / 1024,
            }
        ).encode()
        headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})


def seed(db: Path, count: int) -> None:
    """Put profiles 0..count-1 on the tenant through the sandbox's own validation and store."""
    if count <= 0:
        return
    try:
        from reconcile.sandbox.storage import profiles
        from reconcile.sandbox.storage.store import Store
    except ImportError:  # the store moved: fall back to the public API, in process
        asyncio.run(_seed_over_api(db, count))
        return
    clean = _fast_clean if _fast_clean(0) == _full_clean(0) else _full_clean
    store = Store(db)
    try:
        for start in range(0, count, SEED_CHUNK):
            with store.write() as conn:
                for i in range(start, min(start + SEED_CHUNK, count)):
                    values, errors = clean(i)
                    profiles.create_profile(conn, values, errors)
    finally:
        store.close()


def _full_clean(i: int) -> tuple[dict[str, Any], Any]:
    from reconcile.sandbox.rules.validation import validate_profile

    return validate_profile(synth.api_body(i), creating=True)


def _fast_clean(i: int) -> tuple[dict[str, Any], Any]:
    """The same as :func:`_full_clean` without re-checking the email and phone, which the
    generator writes in normalised form already: the checks cost ~70% of seeding. ``seed`` uses
    it only when it gives exactly what the full validation gives."""
    from reconcile.sandbox.rules.validation import validate_profile

    body = synth.api_body(i)
    exact = {name: body.pop(name) for name in ("email", "mobile_phone")}
    values, errors = validate_profile(body, creating=False)
    return {**exact, **values}, errors


async def _seed_over_api(db: Path, count: int) -> None:
    import httpx

    from reconcile.sandbox import DEFAULT_TOKEN

    transport = httpx.ASGITransport(app=create_app(SandboxConfig(db_path=db)))
    headers = {"Authorization": f"Bearer {DEFAULT_TOKEN}"}
    async with httpx.AsyncClient(transport=transport, base_url="http://seed/api/v3/") as http:
        for i in range(count):
            response = await http.post("profiles", json=synth.api_body(i), headers=headers)
            response.raise_for_status()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=0, help="profiles to put on the tenant first")
    parser.add_argument("--latency-ms", type=float, default=20.0)
    parser.add_argument("--rate-limit", type=float, default=None, help="requests per second")
    parser.add_argument("--throttle-rate", type=float, default=0.0, help="share answered 429")
    args = parser.parse_args()
    started = time.perf_counter()
    args.db.parent.mkdir(parents=True, exist_ok=True)
    seed(args.db, args.seed)
    seeded_s = time.perf_counter() - started
    config = SandboxConfig(
        db_path=args.db,
        latency_ms=args.latency_ms,
        rate_limit_rps=args.rate_limit,
        throttle_rate=args.throttle_rate,
        seed=7,  # the same scattered 429s in every run
    )
    app = CountingApp(create_app(config))
    # IPPROTO_TCP explicitly: asyncio turns Nagle off (TCP_NODELAY) only for sockets that say so
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(2048)  # connections queue from now on, before uvicorn starts accepting
    server = uvicorn.Server(
        uvicorn.Config(app, lifespan="off", log_level="warning", access_log=False)
    )
    print(f"PORT {sock.getsockname()[1]} SEEDED_S {seeded_s:.2f}", flush=True)
    server.run(sockets=[sock])


if __name__ == "__main__":
    main()
