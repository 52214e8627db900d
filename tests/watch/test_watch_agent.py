"""``reconcile watch`` end to end: a real git repository, served sandbox tenants, and the agent as
a separate process with a short interval."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from typing import Any

from typer.testing import CliRunner

from reconcile.cli import app
from reconcile.settings import load_settings, resolve_target
from reconcile.tenant.client import OmneoClient
from reconcile.tenant.lock import Holder, TenantLock, break_lock
from tests.watch.world import (
    ADA_PROFILE,
    Agent,
    Receiver,
    Repo,
    Tenant,
    signed,
    tenant_config,
    wait_for,
)

ADA = ADA_PROFILE
GRACE = "first_name: Grace\nlast_name: Hopper\nemail: grace@example.com\n"


def cycles(agent: Agent, tenant: str) -> float:
    return sum(
        value
        for (name, labels), value in agent.metrics().items()
        if name == "reconcile_watch_cycles_total" and ("tenant", tenant) in labels
    )


def test_commit_reaches_the_test_tenant_drift_heals_there_and_is_reported_on_production(
    repo: Repo,
    tenants: Callable[..., Tenant],
    receiver: Receiver,
    agents: Callable[..., Agent],
) -> None:
    test, prod = tenants("test"), tenants("prod")
    repo.write(
        "reconcile.toml",
        tenant_config("test", test, "test") + tenant_config("prod", prod, "production"),
    )
    repo.write("profiles.d/ada.yaml", ADA)
    repo.commit("Ada")
    env = {"TEST_TOKEN": test.served.token, "PROD_TOKEN": prod.served.token}
    # A person put Ada on production (drift-only never writes there).
    applied = CliRunner(env=env).invoke(
        app, ["-C", str(repo.root), "apply", "--tenant", "prod", "--auto-approve"]
    )
    assert applied.exit_code == 0, applied.output
    agent = agents(repo, "--interval", "2", "--notify-url", receiver.url, env=env)
    wait_for("Ada on the test tenant", lambda: test.by_email("ada@example.com"))
    wait_for(
        "production in sync",
        lambda: agent.sample("reconcile_watch_state", tenant="prod", state="in sync"),
    )

    # Behind the tool's back on production: reported (metric, notification, page), not written.
    on_prod = prod.by_email("ada@example.com")
    assert on_prod is not None
    prod.scribble(on_prod["id"], first_name="Scribbled")
    wait_for(
        "production drifted",
        lambda: agent.sample("reconcile_watch_state", tenant="prod", state="drifted"),
    )
    assert agent.sample("reconcile_watch_drift", tenant="prod", action="update") == 1
    wait_for("a drifted notification", lambda: "drifted" in receiver.events("prod"))
    # A commit reaches the test tenant within two intervals.
    repo.write("profiles.d/grace.yaml", GRACE)
    head = repo.commit("Grace")
    committed = time.monotonic()
    wait_for("Grace on the test tenant", lambda: test.by_email("grace@example.com"), timeout=4.0)
    assert time.monotonic() - committed <= 4.0
    wait_for(
        "the new commit synced",
        lambda: agent.sample("reconcile_watch_last_sync_commit_info", tenant="test", commit=head),
    )

    # Behind the tool's back: healed on the test tenant.
    ada = test.by_email("ada@example.com")
    assert ada is not None
    test.scribble(ada["id"], first_name="Scribbled")
    wait_for(
        "Ada healed", lambda: (test.by_email("ada@example.com") or {}).get("first_name") == "Ada"
    )
    wait_for("a healed notification", lambda: "healed" in receiver.events("test"))

    seen = cycles(agent, "prod")
    wait_for("another production cycle", lambda: cycles(agent, "prod") >= seen + 1, timeout=10)
    assert (prod.by_email("ada@example.com") or {}).get("first_name") == "Scribbled"
    assert receiver.events("prod").count("drifted") == 1  # once per change of state
    page = agent.get("/").text
    assert "drifted" in page and "prod" in page and "ada@example.com" not in page
    sent = json.dumps(receiver.received)
    assert "ada@example.com" not in sent and "Scribbled" not in sent
    assert agent.sample("reconcile_watch_last_sync_timestamp_seconds", tenant="prod") > 0
    assert agent.get("/readyz").status_code == 200


def test_a_signed_webhook_push_starts_a_cycle_at_once_and_a_bad_one_starts_nothing(
    repo: Repo, tenants: Callable[..., Tenant], agents: Callable[..., Agent]
) -> None:
    test = tenants("test")
    repo.write("reconcile.toml", tenant_config("test", test, "test"))
    repo.write("profiles.d/ada.yaml", ADA)
    repo.commit("Ada")
    agent = agents(repo, "--interval", "120", env={"TEST_TOKEN": test.served.token})
    wait_for("the first cycle", lambda: cycles(agent, "test") >= 1)
    repo.write("profiles.d/grace.yaml", GRACE)
    repo.commit("Grace")
    body = json.dumps({"ref": "refs/heads/main"}).encode()

    assert agent.webhook(body, signed(body, "wrong secret")).status_code == 401
    assert agent.webhook(body, None).status_code == 401
    time.sleep(1.5)
    assert cycles(agent, "test") == 1
    assert test.by_email("grace@example.com") is None

    elsewhere = json.dumps({"ref": "refs/heads/experiment"}).encode()
    assert agent.webhook(elsewhere, signed(elsewhere)).status_code == 202  # another branch
    time.sleep(1)
    assert cycles(agent, "test") == 1
    assert agent.webhook(body, signed(body)).status_code == 202
    wait_for("Grace after the push", lambda: test.by_email("grace@example.com"), timeout=5)
    assert agent.sample("reconcile_watch_webhooks_total", outcome="refused") == 2
    assert agent.sample("reconcile_watch_webhooks_total", outcome="accepted") == 1
    assert agent.sample("reconcile_watch_webhooks_total", outcome="ignored") == 1


def test_an_apply_lock_held_elsewhere_makes_the_cycle_skip_visibly(
    repo: Repo, tenants: Callable[..., Tenant], agents: Callable[..., Agent]
) -> None:
    test = tenants("test")
    repo.write("reconcile.toml", tenant_config("test", test, "test"))
    repo.write("profiles.d/ada.yaml", ADA)
    repo.commit("Ada")
    env = {"TEST_TOKEN": test.served.token}
    release = _hold_lock(repo, env)  # as a CI apply running in another process would
    agent = agents(repo, "--interval", "1", "--lock-wait", "0.5", env=env)
    wait_for(
        "a skipped cycle",
        lambda: (
            agent.sample("reconcile_watch_lock_waits_total", tenant="test", outcome="skipped") >= 2
        ),
    )
    assert agent.sample("reconcile_watch_cycles_total", tenant="test", outcome="skipped") >= 2
    assert agent.sample("reconcile_watch_lock_wait_seconds_total", tenant="test") > 0.5
    assert test.by_email("ada@example.com") is None
    assert "locked" in agent.get("/").text
    not_ready = agent.get("/readyz")
    assert not_ready.status_code == 503 and not_ready.json()["waiting_for"] == ["test"]
    release()
    wait_for("Ada once the lock is free", lambda: test.by_email("ada@example.com"), timeout=6)


def test_a_project_in_a_folder_of_the_repository_is_watched_from_its_folder(
    repo: Repo, tenants: Callable[..., Tenant], agents: Callable[..., Agent]
) -> None:
    test = tenants("test")
    repo.write("crm/reconcile/reconcile.toml", tenant_config("test", test, "test"))
    repo.write("crm/reconcile/profiles.d/ada.yaml", ADA)
    repo.write("reconcile.toml", "not the project's [")  # the repository's root is not it
    repo.commit("Ada, in a folder")

    agent = agents(repo, "--interval", "1", env={"TEST_TOKEN": test.served.token},
                   at="crm/reconcile")  # fmt: skip

    wait_for("Ada on the test tenant", lambda: test.by_email("ada@example.com"))
    assert "folder crm/reconcile" in agent.get("/").text
    repo.write("crm/reconcile/profiles.d/grace.yaml", GRACE)
    repo.commit("Grace")
    wait_for("Grace on the test tenant", lambda: test.by_email("grace@example.com"))


def test_a_commit_failing_validate_is_reported_once_and_the_last_good_stays_in_force(
    repo: Repo, tenants: Callable[..., Tenant], agents: Callable[..., Agent]
) -> None:
    test = tenants("test")
    repo.write("reconcile.toml", tenant_config("test", test, "test"))
    repo.write("profiles.d/ada.yaml", ADA)
    good = repo.commit("Ada")
    agent = agents(repo, "--interval", "1", env={"TEST_TOKEN": test.served.token})
    wait_for("Ada", lambda: test.by_email("ada@example.com"))
    repo.write("profiles.d/bad.yaml", "first_name: Bad\nshoe_size: 44\n")
    bad = repo.commit("a typo")
    wait_for(
        "the rejection",
        lambda: agent.sample("reconcile_watch_rejected_commits_total", tenant="test") >= 2,
    )
    assert agent.sample("reconcile_watch_last_sync_commit_info", tenant="test", commit=good) == 1
    assert agent.output().count(f"commit {bad[:12]} rejected") == 1, agent.output()
    ada = test.by_email("ada@example.com")
    assert ada is not None
    test.scribble(ada["id"], first_name="Scribbled")  # the last good commit still heals
    wait_for(
        "Ada healed", lambda: (test.by_email("ada@example.com") or {}).get("first_name") == "Ada"
    )


def test_a_refused_token_is_reported_once_and_backs_off(
    repo: Repo, tenants: Callable[..., Tenant], agents: Callable[..., Agent], receiver: Receiver
) -> None:
    test = tenants("test")
    repo.write("reconcile.toml", tenant_config("test", test, "test"))
    repo.write("profiles.d/ada.yaml", ADA)
    repo.commit("Ada")
    env = {"TEST_TOKEN": "not-the-token"}
    agent = agents(repo, "--interval", "0.5", "--notify-url", receiver.url, env=env)
    wait_for(
        "a failed cycle",
        lambda: agent.sample("reconcile_watch_state", tenant="test", state="failing"),
    )
    time.sleep(3)  # six intervals: a transient failure would have been retried by now
    assert agent.sample("reconcile_watch_cycles_total", tenant="test", outcome="failed") == 1
    body = b'{"ref": "refs/heads/main"}'
    assert agent.webhook(body, signed(body)).status_code == 202  # a push may be the fix
    wait_for(
        "a second try",
        lambda: agent.sample("reconcile_watch_cycles_total", tenant="test", outcome="failed") == 2,
    )
    assert agent.output().count("answered 401") == 1  # said once
    wait_for("one notification", lambda: receiver.events("test") == ["failing"])
    assert "not-the-token" not in agent.output() + agent.get("/").text


def _hold_lock(repo: Repo, env: dict[str, str]) -> Callable[[], None]:
    """Take the tenant's apply lock from this process; the function that breaks it."""
    settings = load_settings(repo.root)
    target = resolve_target(settings, "test", env)

    async def take() -> None:
        async with OmneoClient.open(target) as client:
            lock = TenantLock(client, settings.owner_handle, holder=Holder.here("plans/ci.json"))
            await lock.acquire()

    async def broken() -> Any:
        async with OmneoClient.open(target) as client:
            return await break_lock(client, settings.owner_handle, reason="test over")

    asyncio.run(take())
    return lambda: asyncio.run(broken())
