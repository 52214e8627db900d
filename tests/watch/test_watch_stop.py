"""SIGTERM during a self-heal, then a restart: the agent stops the apply in flight, releases the
lock, and the next start resumes the journalled plan; the tenant converges with no duplicates."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.watch.world import Agent, Repo, Tenant, tenant_config, wait_for

TEMPLATE = """
{%% set count = %d %%}
profiles:
{%% for i in range(count) %%}
  - key: c-{{ '%%04d' %% i }}
    first_name: Customer
    last_name: {{ '%s' }} {{ i }}
    email: c{{ i }}@example.com
{%% endfor %%}
"""


def _journal_oks(repo: Repo) -> list[str]:
    """Keys journalled ok by the journal of the updates (the rename)."""
    journals = sorted((repo.root / ".reconcile" / "watch" / "plans").glob("*.journal.jsonl"))
    return [key for journal in journals for key in _oks(journal, "update")]


def _oks(journal: Path, action: str | None = None) -> list[str]:
    lines = [json.loads(line) for line in journal.read_text().splitlines() if line.strip()]
    return [
        e["key"]
        for e in lines
        if e.get("type") == "change" and e["status"] == "ok" and action in (None, e["action"])
    ]


@pytest.mark.parametrize(
    "count", [pytest.param(24, id="24"), pytest.param(300, id="300", marks=pytest.mark.slow)]
)
def test_sigterm_during_self_heal_then_restart_converges_without_duplicates(
    count: int, repo: Repo, tenants: Callable[..., Tenant], agents: Callable[..., Agent]
) -> None:
    test = tenants("test", latency_ms=20)
    # Renaming every customer is over the default 30% threshold: unsafe, and never applied
    # automatically; this project raises it.
    settings = "delete_threshold = 1.0\n"
    repo.write("reconcile.toml", settings + tenant_config("test", test, "test", concurrency=1))
    repo.write("profiles.d/many.yaml.j2", TEMPLATE % (count, "Before"))
    repo.commit("many")
    env = {"TEST_TOKEN": test.served.token}
    first = agents(repo, "--interval", "1", env=env)
    wait_for("every profile created", lambda: len(test.profiles()) == count, timeout=120)
    wait_for(
        "in sync", lambda: first.sample("reconcile_watch_state", tenant="test", state="in sync")
    )

    repo.write("profiles.d/many.yaml.j2", TEMPLATE % (count, "After"))
    repo.commit("rename every customer")
    wait_for("the self-heal under way", lambda: len(_journal_oks(repo)) >= count // 8, timeout=60)
    assert first.sample("reconcile_watch_state", tenant="test", state="healing") == 1
    assert "healing" in first.get("/").text
    assert first.terminate() == 0
    output = first.output()
    assert "stopping" in output and "stopped" in output
    interrupted = _journal_oks(repo)
    assert count // 8 <= len(interrupted) < count, "the stop came after the apply had finished"

    second = agents(repo, "--interval", "1", env=env)
    wait_for(
        "every profile renamed",
        lambda: all(p["last_name"].startswith("After") for p in test.profiles()),
        timeout=180,
    )
    wait_for(
        "in sync again",
        lambda: second.sample("reconcile_watch_state", tenant="test", state="in sync"),
    )
    assert "resumed" in second.output()
    profiles = test.profiles()
    assert len(profiles) == count
    emails = Counter(p["email"] for p in profiles)
    assert emails.most_common(1)[0][1] == 1
    journals = sorted((repo.root / ".reconcile" / "watch" / "plans").glob("*.journal.jsonl"))
    for journal in journals:  # no change done twice within a plan's runs
        oks = Counter(_oks(journal))
        assert not oks or oks.most_common(1)[0][1] == 1
