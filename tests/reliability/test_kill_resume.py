"""A real ``python -m reconcile apply`` SIGKILLed at a random moment, then ``apply --resume``:
every run converges to the declared state with zero duplicates, and the dead run's lock does not
block the resume (its holder is gone).

The default run kills once; ``pytest -m slow tests/reliability`` kills ten times.
"""

from __future__ import annotations

import random
import signal
import time
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Project
from tests.reliability.test_fault_apply import declare
from tests.reliability.world import (
    TENANT,
    TenantReader,
    configure,
    duplicates,
    journal_lines,
    reconcile_process,
    served,
)

BEFORE, UPDATED, DELETED, CREATED = 40, 25, 10, 45
CHANGES = UPDATED + DELETED + CREATED
FLAGS = ("--allow-delete", "--force")


def kill_and_resume(project: Project, tmp_path: Path, seed: int) -> dict[str, Any]:
    rng = random.Random(seed)
    with served(tmp_path / f"run{seed}" / "sandbox.db", latency_ms=3) as sandbox:
        env = configure(project, sandbox.url, sandbox.token)
        declare(project, BEFORE, updated=0, deleted=0, created=0)
        start = project.plans / f"start-{seed}.json"
        assert project.cli("plan", "-o", str(start), *TENANT, env=env).exit_code == 0
        assert project.cli("apply", str(start), "--bulk", *TENANT, env=env).exit_code == 0

        declare(project, BEFORE, updated=UPDATED, deleted=DELETED, created=CREATED)
        plan_file = project.plans / f"run-{seed}.json"
        planned = project.cli("plan", "-o", str(plan_file), "--allow-delete", *TENANT, env=env)
        assert planned.exit_code == 0, planned.output

        stop_after = rng.randint(0, CHANGES)  # 0: before any change started (lock, checks)
        process = reconcile_process(
            project, env, "apply", str(plan_file), "--concurrency", "4", *FLAGS, *TENANT
        )
        began = time.monotonic()
        pause = rng.uniform(0.2, 1.5)
        while process.poll() is None and time.monotonic() - began < 60:
            started = sum(1 for e in journal_lines(plan_file) if e.get("status") == "started")
            if (stop_after and started >= stop_after) or (
                not stop_after and time.monotonic() - began >= pause
            ):
                time.sleep(rng.uniform(0, 0.02))
                process.send_signal(signal.SIGKILL)
                break
            time.sleep(0.002)
        status = process.wait(timeout=30)
        process.communicate()
        done_before = sum(1 for e in journal_lines(plan_file) if e.get("status") == "ok")

        resumed = project.cli("apply", "--resume", str(plan_file), *FLAGS, *TENANT, env=env)
        assert resumed.exit_code == 0, resumed.output
        assert "Traceback" not in resumed.output
        again = project.cli("plan", "--detailed-exitcode", "--allow-delete", *TENANT, env=env)
        assert again.exit_code == 0, again.output

        reader = TenantReader(sandbox.url, sandbox.token)
        profiles = reader.profiles()
        reader.close()
    owned = {
        i["identifier"] for p in profiles for i in p["identities"] if i["handle"] == "reconcile"
    }
    assert len(owned) == BEFORE - DELETED + CREATED
    found = duplicates(profiles)
    assert found == {"owner": 0, "email": 0, "first_name": 0}
    assert len(profiles) == len(owned)  # nothing else: no duplicate, no lock left behind
    return {
        "killed": status == -signal.SIGKILL,
        "changes_done_before_kill": done_before,
        "duplicates": sum(found.values()),
    }


def test_a_killed_apply_resumes_to_the_declared_state(project: Project, tmp_path: Path) -> None:
    outcome = kill_and_resume(project, tmp_path, seed=3)
    assert outcome["duplicates"] == 0


@pytest.mark.slow
def test_ten_killed_applies_all_converge(
    project: Project, tmp_path: Path, summary: dict[str, Any]
) -> None:
    outcomes = [kill_and_resume(project, tmp_path, seed) for seed in range(100, 110)]
    killed = sum(o["killed"] for o in outcomes)
    summary.update(
        name="sigkill_then_resume",
        runs=len(outcomes),
        killed_mid_apply=killed,
        changes_per_run=CHANGES,
        done_before_kill=[o["changes_done_before_kill"] for o in outcomes],
        converged=len(outcomes),
        duplicates_found=sum(o["duplicates"] for o in outcomes),
    )
    assert killed >= 8  # a run may finish before its random moment comes
