"""The baselines: a naive per-profile reconciler, as a hand-written script would do it.

For each declared profile: look it up exactly (``GET /profiles?filter[email]=``), then read it
(``GET /profiles/{id}``) and compare. ``--in-flight 1`` is the sequential script; ``--in-flight 10``
is Terraform's default parallelism for per-resource refresh. It uses the standard library's
``http.client`` with one kept-alive connection per worker, so the client is never what limits it.
Prints one JSON object: profiles, requests, differences, wall seconds.

    python tests/bench/baseline.py --url http://127.0.0.1:PORT/api/v3 --dir DIR --limit 500
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import yaml

_local = threading.local()


class Api:
    def __init__(self, url: str, token: str) -> None:
        parts = urlsplit(url)
        self.host, self.port, self.base = parts.hostname or "", parts.port or 80, parts.path
        self.headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
        self.requests = 0
        self.lock = threading.Lock()

    def get(self, path: str) -> Any:
        connection = getattr(_local, "connection", None)
        if connection is None:
            connection = _local.connection = http.client.HTTPConnection(self.host, self.port)
        while True:
            with self.lock:
                self.requests += 1
            connection.request("GET", self.base + path, headers=self.headers)
            response = connection.getresponse()
            body = response.read()
            if response.status == 429:  # honour the rate limit, as a careful script would
                time.sleep(float(response.getheader("Retry-After") or 1))
                continue
            if response.status >= 400:
                raise RuntimeError(f"GET {path}: {response.status}")
            return json.loads(body)


def declared_profiles(profiles_dir: Path, limit: int) -> list[dict[str, Any]]:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    found: list[dict[str, Any]] = []
    for path in sorted(profiles_dir.rglob("*.yaml")):
        found += yaml.load(path.read_text(encoding="utf-8"), Loader=loader)["profiles"]
        if len(found) >= limit:
            break
    return found[:limit]


def reconcile_one(api: Api, profile: dict[str, Any]) -> int:
    """1 when the tenant's profile differs from the declaration in a compared field, else 0."""
    hits = api.get("/profiles?filter[email]=" + quote(profile["email"], safe=""))["data"]
    if not hits:
        return 1
    current = api.get("/profiles/" + quote(str(hits[0]["id"]), safe=""))["data"]
    compared = ("first_name", "last_name", "email", "mobile_phone", "company", "occupation")
    return int(any(current.get(name) != profile.get(name) for name in compared))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", required=True)
    parser.add_argument("--dir", type=Path, required=True, help="a project with profiles.d/")
    parser.add_argument("--limit", type=int, required=True, help="how many profiles to do")
    parser.add_argument("--in-flight", type=int, default=1)
    parser.add_argument("--token-env", default="BENCH_OMNEO_TOKEN")
    args = parser.parse_args()
    api = Api(args.url, os.environ[args.token_env])
    started = time.perf_counter()
    profiles = declared_profiles(args.dir / "profiles.d", args.limit)
    if args.in_flight == 1:
        differences = sum(reconcile_one(api, p) for p in profiles)
    else:
        with ThreadPoolExecutor(max_workers=args.in_flight) as pool:
            differences = sum(pool.map(lambda p: reconcile_one(api, p), profiles))
    wall = time.perf_counter() - started
    result = {"profiles": len(profiles), "requests": api.requests, "differences": differences}
    print(json.dumps({**result, "wall_s": round(wall, 3)}))


if __name__ == "__main__":
    main()
