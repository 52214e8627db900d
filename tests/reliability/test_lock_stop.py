"""A broken apply lock stops a running apply: no write starts later than the documented bound.

Two real ``reconcile`` processes against one served tenant: apply A, slowed to 20 requests a
second, is running when ``reconcile lock break --reason ...`` marks its lock broken; apply B then
takes the lock. A must stop writing within the bound (docs/apply.md "The apply lock"), end with
exit 1 naming who broke the lock and why, print a resume command that works as printed, and A's
writes and B's may overlap by no more than the bound.
"""

from __future__ import annotations

import asyncio
import re
import shlex
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from reconcile.errors import LockLostError
from reconcile.tenant.client import OmneoClient
from reconcile.tenant.lock import CHECK_INTERVAL, Holder, TenantLock, break_lock
from tests.conftest import Project
from tests.reliability.test_tenant_lock import declare_two_sets, target
from tests.reliability.world import TENANT, configure, journal_lines, reconcile_process, served

# The documented bound on writing past a break: the check interval, plus one read of the lock
# and the writes already in flight (each one request of about the sandbox's latency here), plus
# a margin for two processes sharing a loaded machine.
BOUND = CHECK_INTERVAL + 1.0
SLOW = '\n[tenants.slow]\nurl = "{url}"\ntoken_env = "SERVED_TOKEN"\nkind = "test"\nrps = 20\n'


def stamps(plan_file: Path, status: str) -> list[datetime]:
    return [
        datetime.fromisoformat(e["at"])
        for e in journal_lines(plan_file)
        if e.get("status") == status
    ]


# Two real applies at 20 requests a second (about 20 s); the gate test below is its twin.
@pytest.mark.slow
def test_a_broken_lock_stops_a_running_apply_within_the_bound(
    project: Project, tmp_path: Path, summary: dict[str, Any]
) -> None:
    declare_two_sets(project, 200)
    with served(tmp_path / "t" / "s.db", latency_ms=20) as sandbox:
        env = configure(project, sandbox.url, sandbox.token, extra=SLOW.format(url=sandbox.url))
        plans = {name: project.plans / f"{name}.json" for name in ("a", "b")}
        # B is paced too: it still holds the lock (whose record names the break) when A checks.
        for name, tenant in (("a", "slow"), ("b", "slow")):
            made = project.cli(
                "plan", "-o", str(plans[name]), "--target", f"{name}*", "--tenant", tenant, env=env
            )
            assert made.exit_code == 0, made.output

        a = reconcile_process(
            project, env, "apply", str(plans["a"]), "--no-bulk", "--tenant", "slow"
        )
        while not stamps(plans["a"], "ok") and a.poll() is None:
            time.sleep(0.01)
        time.sleep(2.0)
        broke = project.cli("lock", "break", "--reason", "x marks the spot", *TENANT, env=env)
        broken_at = datetime.now(UTC)
        b = reconcile_process(
            project, env, "apply", str(plans["b"]), "--no-bulk", "--tenant", "slow"
        )
        _, err_a = a.communicate(timeout=120)
        _, err_b = b.communicate(timeout=120)

        a_writes = stamps(plans["a"], "ok")
        b_writes = stamps(plans["b"], "started")
        resume = re.search(r"finish with `([^`]+)`", err_a)
        assert resume is not None, err_a
        words = shlex.split(resume.group(1))
        assert words[:5] == ["reconcile", "-C", str(project.root), "apply", "--resume"]
        resumed = reconcile_process(project, env, *words[3:])  # as printed (-C is the same)
        _, err_resumed = resumed.communicate(timeout=120)

    assert broke.exit_code == 0, broke.output
    assert a.returncode == 1, err_a
    assert b.returncode == 0, err_b
    error = [line for line in err_a.splitlines() if line.startswith("error:")]
    assert len(error) == 1 and "Traceback" not in err_a, err_a
    assert "stopped: the apply lock was broken by" in error[0]
    assert "(reason: x marks the spot)" in error[0]
    assert f"--resume {plans['a']}" in error[0] and "--tenant slow" in error[0]
    assert resumed.returncode == 0, err_resumed

    stopped_after = (max(a_writes) - broken_at).total_seconds()
    overlap = (max(a_writes) - min(b_writes)).total_seconds()
    summary.update(
        name="lock_break_stop",
        a_done_before_stop=len(a_writes),
        stopped_after_break_s=round(stopped_after, 3),
        overlap_with_b_s=round(overlap, 3),
        bound_s=BOUND,
    )
    assert 0 < len(a_writes) < 200  # it was running, and it stopped
    assert stopped_after <= BOUND, (stopped_after, err_a)
    assert overlap <= BOUND, (overlap, err_a)
    assert f"{200 - len(a_writes)} applied, 0 failed" in err_resumed, err_resumed


def test_the_gate_checks_once_per_interval_and_names_the_breaker(tmp_path: Path) -> None:
    with served(tmp_path / "t" / "s.db") as sandbox:

        async def run() -> tuple[str, int, int, float]:
            async with OmneoClient.open(target(sandbox.url, sandbox.token)) as client:
                holder = Holder.here("plans/a.json")
                lock = TenantLock(client, "reconcile", holder=holder, interval=0.3)
                writes = 0
                started = time.monotonic()
                with pytest.raises(LockLostError) as stopped:
                    async with lock.held():
                        while writes < 10_000:
                            if writes == 0 or time.monotonic() - started < 1.0:
                                pass
                            elif lock.checks and not broken:
                                broken.append(await break_lock(
                                    client, "reconcile", reason="drill", by="ops"
                                ))  # fmt: skip
                            body = {"email": f"p{writes}@example.com", "first_name": "P"}
                            await client.create_profile(body)
                            writes += 1
                elapsed = time.monotonic() - started
                return str(stopped.value), writes, lock.checks, elapsed

        broken: list[object] = []
        message, writes, checks, elapsed = asyncio.run(run())
    assert "the apply lock was broken by ops" in message and "(reason: drill)" in message
    assert "while applying plans/a.json" in message
    assert writes > 10 and checks <= elapsed / 0.3 + 2  # one read an interval, not one a write
