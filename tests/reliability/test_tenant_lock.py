"""The tenant-level apply lock: one apply at a time per tenant, recorded on the tenant itself.

Two applies of different plans never interleave: the second is refused (naming the holder and the
expiry) or waits with ``--lock-timeout``. A lock survives faults, is released when an apply fails,
can be inspected and broken, and a stale one (expired, or its holder dead) is taken over.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from datetime import datetime
from pathlib import Path

from pydantic import SecretStr

from reconcile.errors import LockError
from reconcile.sandbox import SandboxConfig, serve_in_thread
from reconcile.sandbox.http.server import free_port
from reconcile.settings import Target
from reconcile.tenant.client import OmneoClient
from reconcile.tenant.lock import TAKEOVER_PAUSE, Holder, TenantLock, read_lock
from reconcile.tenant.ratelimit import RetryPolicy
from tests.conftest import Project
from tests.reliability.world import (
    TENANT,
    TenantReader,
    configure,
    journal_lines,
    reconcile_process,
    served,
)


def target(url: str, token: str) -> Target:
    return Target(
        name="served",
        url=url,
        token=SecretStr(token),
        kind="test",
        concurrency=8,
        rps=1000,
        max_creates=1000,
    )


def foreign(plan: str = "plans/other.json") -> Holder:
    return Holder(who="ci@runner-7 (pid 4242)", host="runner-7", pid=4242, plan=plan, nonce="x1")


def declare_two_sets(project: Project, count: int) -> None:
    lines = ["profiles:"]
    for prefix in ("a", "b"):
        for n in range(count):
            lines += [
                f"  - key: {prefix}{n:03}",
                f"    email: {prefix}{n}@example.com",
                f"    first_name: {prefix.upper()}{n}",
            ]
    project.write("people.yaml", "\n".join(lines) + "\n")


def test_racing_contenders_through_faults_get_exactly_one_lock(tmp_path: Path) -> None:
    faults = {"error_rate": 0.1, "drop_rate": 0.1, "seed": 5}
    with served(tmp_path / "t" / "s.db", **faults) as sandbox:

        async def race() -> list[int]:
            winners = []
            async with OmneoClient.open(target(sandbox.url, sandbox.token)) as client:
                for _ in range(5):
                    locks = [
                        TenantLock(client, "reconcile", holder=Holder.here(f"plans/p{n}.json"))
                        for n in range(8)
                    ]
                    tried = await asyncio.gather(
                        *(lk.acquire() for lk in locks), return_exceptions=True
                    )
                    won = [n for n, got in enumerate(tried) if not isinstance(got, BaseException)]
                    lost = [got for got in tried if isinstance(got, BaseException)]
                    assert all(isinstance(e, LockError) for e in lost), lost
                    assert all(f"plans/p{won[0]}.json" in str(e) for e in lost)
                    winners.append(len(won))
                    await locks[won[0]].release()
                    assert await read_lock(client, "reconcile") is None
            return winners

        assert asyncio.run(race()) == [1] * 5


def test_a_second_apply_is_refused_or_waits_and_never_interleaves(
    project: Project, tmp_path: Path
) -> None:
    declare_two_sets(project, 40)
    with served(tmp_path / "t" / "s.db", latency_ms=30) as sandbox:
        env = configure(project, sandbox.url, sandbox.token)
        plans = {}
        for name in ("a", "b"):
            plans[name] = project.plans / f"{name}.json"
            made = project.cli(
                "plan", "-o", str(plans[name]), "--target", f"{name}*", *TENANT, env=env
            )
            assert made.exit_code == 0, made.output

        first = reconcile_process(  # one by one, so that it is still running below
            project, env, "apply", str(plans["a"]), "--concurrency", "2", "--no-bulk", *TENANT
        )
        while not journal_lines(plans["a"]) and first.poll() is None:
            time.sleep(0.01)
        status = project.cli("lock", "status", *TENANT, env=env)
        refused = project.cli("apply", str(plans["b"]), *TENANT, env=env)
        waiting = reconcile_process(
            project, env, "apply", str(plans["b"]), "--lock-timeout", "120", *TENANT
        )
        _, err_a = first.communicate(timeout=120)
        _, err_b = waiting.communicate(timeout=120)

    assert "locked: held by" in status.stdout and "a.json" in status.stdout
    assert refused.exit_code == 1
    assert "the tenant is locked: held by" in refused.stderr
    assert "a.json" in refused.stderr and "expires 20" in refused.stderr
    assert "--lock-timeout" in refused.stderr and "lock break" in refused.stderr
    assert first.returncode == 0, err_a
    assert waiting.returncode == 0, err_b
    assert "40 applied, 0 failed" in err_a and "40 applied, 0 failed" in err_b
    a_stamps = [e["at"] for e in journal_lines(plans["a"])]
    b_stamps = [e["at"] for e in journal_lines(plans["b"])]
    assert max(a_stamps) < min(b_stamps)  # b started after a's last write: no interleaving


def test_a_lock_left_by_a_crashed_runner_is_shown_refused_and_broken(
    project: Project, tmp_path: Path
) -> None:
    declare_two_sets(project, 2)
    with served(tmp_path / "t" / "s.db") as sandbox:
        env = configure(project, sandbox.url, sandbox.token)

        async def hold() -> None:
            async with OmneoClient.open(target(sandbox.url, sandbox.token)) as client:
                await TenantLock(client, "reconcile", holder=foreign(), ttl=3600).acquire()

        asyncio.run(hold())
        status = project.cli("lock", "status", *TENANT, env=env)
        refused = project.cli("apply", "--auto-approve", *TENANT, env=env)
        no_reason = project.cli("lock", "break", *TENANT, env=env)
        broken = project.cli("lock", "break", "--reason", "runner-7 was killed", *TENANT, env=env)
        marked = project.cli("lock", "status", *TENANT, env=env)
        applied = project.cli("apply", "--auto-approve", *TENANT, env=env)
        after = project.cli("lock", "status", *TENANT, env=env)

    assert "held by ci@runner-7 (pid 4242) applying plans/other.json" in status.stdout
    assert refused.exit_code == 1 and "ci@runner-7" in refused.stderr
    assert no_reason.exit_code == 2 and "--reason" in no_reason.output
    assert broken.exit_code == 0
    assert "Broke the apply lock held by ci@runner-7" in broken.stderr
    assert "runner-7 was killed" in broken.stderr
    assert marked.stdout.startswith("broken: held by ci@runner-7 (pid 4242)")
    assert "; broken by " in marked.stdout and "(reason: runner-7 was killed)" in marked.stdout
    assert "the next apply takes it over" in marked.stdout
    assert applied.exit_code == 0, applied.output
    assert "4 applied" in applied.stderr
    assert after.stdout.strip() == "not locked"


def test_an_expired_lock_is_taken_over(project: Project, tmp_path: Path) -> None:
    declare_two_sets(project, 1)
    with served(tmp_path / "t" / "s.db") as sandbox:
        env = configure(project, sandbox.url, sandbox.token)
        past = datetime(2020, 1, 1).astimezone()

        async def hold_expired() -> None:
            async with OmneoClient.open(target(sandbox.url, sandbox.token)) as client:
                lock = TenantLock(client, "reconcile", holder=foreign(), clock=lambda: past)
                await lock.acquire()

        asyncio.run(hold_expired())
        applied = project.cli("apply", "--auto-approve", *TENANT, env=env)

    assert applied.exit_code == 0, applied.output
    assert "Took over a stale apply lock (held by ci@runner-7" in applied.stderr
    assert "expires 2020-01-01" in applied.stderr


def test_a_failed_apply_releases_the_lock(project: Project, tmp_path: Path) -> None:
    project.write("jane.yaml", "email: jane@example.com\nfirst_name: Jane\n")
    with served(tmp_path / "t" / "s.db") as sandbox:
        env = configure(project, sandbox.url, sandbox.token)
        plan_file = project.plans / "p.json"
        assert project.cli("plan", "-o", str(plan_file), *TENANT, env=env).exit_code == 0
        reader = TenantReader(sandbox.url, sandbox.token)
        reader.create({"email": "jane@example.com", "first_name": "Other"})  # takes her email
        reader.close()
        failed = project.cli("apply", str(plan_file), *TENANT, env=env)
        status = project.cli("lock", "status", *TENANT, env=env)

    assert failed.exit_code == 1
    assert "failed: create jane" in failed.stderr
    assert status.stdout.strip() == "not locked"


def test_an_apply_whose_lock_is_removed_stops(tmp_path: Path) -> None:
    with served(tmp_path / "t" / "s.db") as sandbox:

        async def hold_and_lose() -> tuple[str, int]:
            async with OmneoClient.open(target(sandbox.url, sandbox.token)) as client:
                lock = TenantLock(client, "reconcile", holder=Holder.here("plans/a.json"), ttl=0.6)
                refused = 0
                try:
                    async with lock.held() as info:
                        await client.purge_profile(info.profile_id)  # removed by hand
                        # the heartbeat finds out (its check looks twice, TAKEOVER_PAUSE apart)
                        await asyncio.sleep(0.5 + 2 * TAKEOVER_PAUSE)
                        try:
                            await client.create_profile({"email": "late@example.com"})
                        except LockError:
                            refused += 1
                except LockError as exc:
                    return str(exc), refused
                return "kept running", refused

        message, refused = asyncio.run(hold_and_lose())
    assert message == (
        "stopped: the apply lock was removed from the tenant while applying plans/a.json"
    )
    assert refused == 1


def release_during_outage(tmp_path: Path, patience: float) -> tuple[str | None, int]:
    """Take the lock, stop the tenant, start it again a second later on the same port and
    database, and release meanwhile: why the lock was left (if it was), and the profiles held."""
    config = SandboxConfig(db_path=tmp_path / "t" / "s.db")
    port = free_port()
    with contextlib.ExitStack() as first, contextlib.ExitStack() as second:
        sandbox = first.enter_context(serve_in_thread(config, port=port))
        back = threading.Timer(
            1.0, lambda: second.enter_context(serve_in_thread(config, port=port))
        )

        async def release_while_away() -> str | None:
            quick = RetryPolicy(attempts=1)  # the client alone gives up at once
            async with OmneoClient.open(target(sandbox.url, sandbox.token), retry=quick) as client:
                holder = Holder.here("plans/a.json")
                lock = TenantLock(client, "reconcile", holder=holder, poll=0.1,
                                  release_patience=patience)  # fmt: skip
                await lock.acquire()
                first.close()  # the tenant goes away
                back.start()
                await lock.release()
                return lock.unreleased

        try:
            unreleased = asyncio.run(release_while_away())
        finally:
            back.join()
        reader = TenantReader(sandbox.url, sandbox.token)
        profiles = reader.profiles()
        reader.close()
    return unreleased, len(profiles)


def test_a_lock_whose_tenant_is_away_at_release_is_purged_once_it_is_back(
    tmp_path: Path,
) -> None:
    # The writes are done when the tenant goes away for longer than the client's own retries:
    # the release asks again until it answers, so no lock profile is left behind.
    assert release_during_outage(tmp_path, patience=30.0) == (None, 0)


def test_a_lock_the_tenant_never_took_back_is_reported_left(tmp_path: Path) -> None:
    unreleased, profiles = release_during_outage(tmp_path, patience=0.0)
    assert unreleased is not None
    assert unreleased.startswith("cannot reach tenant 'served' at http://127.0.0.1:")
    assert ": connection refused (POST profiles/" in unreleased
    assert "/purge); it expires at " in unreleased
    assert profiles == 1


def test_export_leaves_the_lock_profile_out(project: Project, tmp_path: Path) -> None:
    with served(tmp_path / "t" / "s.db") as sandbox:
        env = configure(project, sandbox.url, sandbox.token)
        reader = TenantReader(sandbox.url, sandbox.token)
        reader.create({"email": "kim@example.com", "first_name": "Kim"})
        reader.close()

        async def hold() -> None:
            async with OmneoClient.open(target(sandbox.url, sandbox.token)) as client:
                await TenantLock(client, "reconcile", holder=foreign(), ttl=3600).acquire()

        asyncio.run(hold())
        exported = project.cli("export", *TENANT, env=env)

    assert exported.exit_code == 0, exported.output
    written = "".join(p.read_text() for p in project.profiles.rglob("*.yaml"))
    assert "kim@example.com" in written
    assert "reconcile-lock" not in written and "apply lock" not in written
    assert "Exported 1 profiles" in exported.stderr


def test_teardown_takes_the_lock_too(project: Project, tmp_path: Path) -> None:
    declare_two_sets(project, 1)
    with served(tmp_path / "t" / "s.db") as sandbox:
        env = configure(project, sandbox.url, sandbox.token)
        assert project.cli("apply", "--auto-approve", *TENANT, env=env).exit_code == 0

        async def hold() -> None:
            async with OmneoClient.open(target(sandbox.url, sandbox.token)) as client:
                await TenantLock(client, "reconcile", holder=foreign(), ttl=3600).acquire()

        asyncio.run(hold())
        refused = project.cli("teardown", "--auto-approve", *TENANT, env=env)
        assert project.cli("lock", "break", "--reason", "test", *TENANT, env=env).exit_code == 0
        torn = project.cli("teardown", "--auto-approve", *TENANT, env=env)

    assert refused.exit_code == 1 and "the tenant is locked: held by ci@runner-7" in refused.stderr
    assert torn.exit_code == 0, torn.output
    assert "2 applied" in torn.stderr
