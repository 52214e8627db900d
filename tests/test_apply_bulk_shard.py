"""A sharded plan applied in bulk fetches, compares and writes only its own shard.

Bulk apply verifies what it wrote by planning again; that plan must be the reviewed one (same
selection, same flags), or every shard of a CI matrix would pay for all of them.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
import uvicorn

from reconcile.plan.selectors import Selectors
from reconcile.sandbox import SandboxConfig, create_app
from reconcile.sandbox.config import DEFAULT_TOKEN
from reconcile.sandbox.http.server import free_port
from tests.conftest import Project

KEYS = [f"customer-{n:02d}" for n in range(1, 13)]
SHARD_1 = [key for key in KEYS if Selectors(shard="1/2").selects(key)]
SHARD_2 = [key for key in KEYS if key not in SHARD_1]


def mobile(key: str) -> str:
    return f"+614123450{KEYS.index(key) + 1:02d}"


@dataclass
class Recorder:
    """ASGI middleware: every request's method, path and decoded query, in order."""

    app: Any
    seen: list[str] = field(default_factory=list)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            query = unquote(scope["query_string"].decode())
            self.seen.append(f"{scope['method']} {scope['path']}?{query}")
        await self.app(scope, receive, send)


@pytest.fixture
def recorded(tmp_path: Path) -> Iterator[tuple[str, Recorder]]:
    """A sandbox served over HTTP behind a recorder of requests."""
    recorder = Recorder(create_app(SandboxConfig(db_path=tmp_path / "tenant" / "sandbox.db")))
    port = free_port()
    config = uvicorn.Config(
        recorder, host="127.0.0.1", port=port, lifespan="off", log_level="warning"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started and thread.is_alive():
        threading.Event().wait(0.01)
    try:
        yield f"http://127.0.0.1:{port}/api/v3", recorder
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def shop(project: Project, url: str) -> dict[str, str]:
    (project.root / "reconcile.toml").write_text(
        f'[tenants.shop]\nurl = "{url}"\ntoken_env = "SHOP_TOKEN"\nkind = "test"\n'
    )
    for key in KEYS:
        project.write(
            f"{key}.yaml",
            f"""
            email: {key}@example.com
            mobile_phone: "{mobile(key)}"
            identities: {{loyalty: "L-{key}"}}
            tags: [bulk]
            """,
        )
    return {"SHOP_TOKEN": DEFAULT_TOKEN}


def test_a_sharded_bulk_apply_fetches_compares_and_touches_only_its_shard(
    project: Project, recorded: tuple[str, Recorder]
) -> None:
    url, recorder = recorded
    env = shop(project, url)
    plan_file = project.plans / "shard-1.json"
    planned = project.cli(
        "plan", "--tenant", "shop", "--shard", "1/2", "-o", str(plan_file), env=env
    )
    assert planned.exit_code == 0, planned.output
    recorder.seen.clear()

    applied = project.cli("apply", str(plan_file), "--tenant", "shop", "--bulk", env=env)

    assert applied.exit_code == 0, applied.output
    assert f"{len(SHARD_1)} applied, 0 failed" in applied.stderr
    assert any("/profiles/batch" in request for request in recorder.seen)
    # Verifying the batches planned the shard again: nothing of shard 2 was looked up.
    shard_2_values = [*SHARD_2, *(mobile(key) for key in SHARD_2)]  # in emails, identities
    assert [r for r in recorder.seen if any(v in r for v in shard_2_values)] == []
    everything = project.cli("plan", "--tenant", "shop", "--format", "json", env=env)
    report = json.loads(everything.stdout)
    assert {c["key"] for c in report["changes"]} == set(SHARD_2)  # shard 2 untouched
    assert {c["action"] for c in report["changes"]} == {"create"}
    assert report["unchanged"] == len(SHARD_1)
