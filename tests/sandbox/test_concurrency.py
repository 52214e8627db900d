"""Uniqueness of email, mobile and identities holds under concurrent writes.

Property test: hypothesis draws creates, updates and identity additions over a small pool of
emails, mobiles and identities (so that they clash), and runs them at once from eight client
threads against **two** sandbox servers sharing one SQLite file (so the database, not one
process's lock, has to keep the rules). Afterwards no two profiles share an email, a mobile or an
identity, every create that succeeded left exactly one profile, and no request failed with a 5xx.
"""

from __future__ import annotations

import itertools
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconcile.sandbox import DEFAULT_TOKEN, SandboxConfig, serve_in_thread

POOL = 4
RUNS = itertools.count(1)
pool_index = st.integers(min_value=0, max_value=POOL - 1)
maybe_index = st.none() | pool_index
create = st.tuples(st.just("create"), pool_index, maybe_index, maybe_index)
update = st.tuples(st.just("update"), pool_index, maybe_index, maybe_index)
add_identity = st.tuples(st.just("identity"), pool_index, st.none(), pool_index)
operations = st.lists(st.one_of(create, update, add_identity), min_size=2, max_size=24)


class Pool:
    """Per-example values, so that examples do not see each other's profiles."""

    def __init__(self, run: int) -> None:
        self.tag = f"run-{run}"
        self.run = run

    def email(self, i: int) -> str:
        return f"u{i}.{self.run}@example.com"

    def mobile(self, i: int) -> str:
        return f"+614{self.run % 1_000_000:06d}{i:02d}"

    def identity(self, i: int) -> dict[str, str]:
        return {"handle": "pos", "identifier": f"{self.run}-{i}"}


def run(client: httpx.Client, pool: Pool, op: tuple[Any, ...], targets: list[str]) -> int:
    kind, a, b, c = op
    if kind == "create":
        body: dict[str, Any] = {"email": pool.email(a), "tags": [pool.tag]}
        if b is not None:
            body["mobile_phone"] = pool.mobile(b)
        if c is not None:
            body["identities"] = [pool.identity(c)]
        answer = client.post("/profiles", json=body)
        if answer.status_code == 201:
            targets.append(answer.json()["data"]["id"])
        return answer.status_code
    if not targets:
        return 0
    target = targets[a % len(targets)]
    if kind == "update":
        body = {}
        if b is not None:
            body["email"] = pool.email(b)
        if c is not None:
            body["mobile_phone"] = pool.mobile(c)
        return client.put(f"/profiles/{target}", json=body).status_code
    return client.post(f"/profiles/{target}/identities", json=pool.identity(c)).status_code


def test_uniqueness_holds_under_concurrent_writes(tmp_path: Path) -> None:
    config = SandboxConfig(db_path=tmp_path / "shared.db")
    headers = {"Authorization": f"Bearer {DEFAULT_TOKEN}"}
    with serve_in_thread(config) as first, serve_in_thread(config) as second:
        clients = [
            httpx.Client(base_url=s.url, headers=headers, timeout=60) for s in (first, second)
        ]

        @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
        @given(ops=operations)
        def check(ops: list[tuple[Any, ...]]) -> None:
            pool = Pool(next(RUNS))
            targets: list[str] = []
            creates = [op for op in ops if op[0] == "create"]
            others = [op for op in ops if op[0] != "create"]
            statuses: list[int] = []
            with ThreadPoolExecutor(max_workers=8) as workers:
                for phase in (creates, others):
                    jobs = [
                        workers.submit(run, clients[n % 2], pool, op, targets)
                        for n, op in enumerate(phase)
                    ]
                    statuses += [job.result() for job in jobs]
            assert set(statuses) <= {0, 200, 201, 422}, statuses
            listed = (
                clients[0]
                .get("/profiles", params={"filter[tags.handle]": pool.tag, "page[size]": 500})
                .json()["data"]
            )
            assert sorted(p["id"] for p in listed) == sorted(targets)
            emails = Counter(p["email"] for p in listed)
            mobiles = Counter(p["mobile_phone"] for p in listed if p["mobile_phone"])
            pairs = Counter((i["handle"], i["identifier"]) for p in listed for i in p["identities"])
            assert max(emails.values(), default=1) == 1
            assert max(mobiles.values(), default=1) == 1
            assert max(pairs.values(), default=1) == 1

        try:
            check()
        finally:
            for client in clients:
                client.close()


def test_concurrent_partial_updates_lose_nothing(tmp_path: Path) -> None:
    """Twenty clients each set a different comms flag and custom attribute on one profile, through
    two servers sharing the file: every read-modify-write lands."""
    from reconcile.model.fields import COMMS_FLAGS

    config = SandboxConfig(db_path=tmp_path / "shared.db")
    headers = {"Authorization": f"Bearer {DEFAULT_TOKEN}"}
    flags = COMMS_FLAGS[:20]
    with serve_in_thread(config) as first, serve_in_thread(config) as second:
        clients = [
            httpx.Client(base_url=s.url, headers=headers, timeout=60) for s in (first, second)
        ]
        profile = clients[0].post("/profiles", json={"email": "busy@example.com"}).json()["data"]
        base = f"/profiles/{profile['id']}/attributes"

        def write(n: int) -> tuple[int, int]:
            client = clients[n % 2]
            comms = client.put(f"{base}/comms", json={flags[n]: True})
            custom = client.put(f"{base}/custom/load:k{n}", json={"type": "integer", "value": n})
            return comms.status_code, custom.status_code

        with ThreadPoolExecutor(max_workers=8) as workers:
            assert set(workers.map(write, range(len(flags)))) == {(200, 200)}
        final = clients[1].get(f"/profiles/{profile['id']}").json()["data"]
        for client in clients:
            client.close()
    assert all(final["attributes"]["comms"][flag] is True for flag in flags)
    assert final["custom_attributes"]["load"] == {f"k{n}": n for n in range(len(flags))}
