"""The tenant goes away in the middle of an apply: the sandbox's uvicorn process is killed and
started again on the same port and database. The apply retries and completes, or stops with a
clear message; ``apply --resume`` then completes it. Either way: the declared state, no duplicate.

The default run is down for half a second (the retries ride it out); ``pytest -m slow
tests/reliability`` for forty, long enough to outlast the retries and take the resume path.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from reconcile.sandbox import DEFAULT_TOKEN
from reconcile.sandbox.http.server import free_port
from tests.conftest import REPO, Project
from tests.reliability.world import (
    TENANT,
    TenantReader,
    configure,
    duplicates,
    journal_lines,
    reconcile_process,
)

COUNT = 150


def start_sandbox(db: Path, port: int) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "reconcile",
            "sandbox",
            "serve",
            "--port",
            str(port),
            "--db",
            str(db),
            "--latency-ms",
            "5",
        ],
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/api/v3/profiles"
    for _ in range(300):
        try:
            if httpx.get(url, headers={"Authorization": f"Bearer {DEFAULT_TOKEN}"}).is_success:
                return process
        except httpx.HTTPError:
            time.sleep(0.05)
    process.kill()
    raise AssertionError("the sandbox did not start")


def restart_during_apply(project: Project, tmp_path: Path, downtime: float) -> dict[str, Any]:
    db, port = tmp_path / "tenant" / "sandbox.db", free_port()
    db.parent.mkdir(parents=True)
    url = f"http://127.0.0.1:{port}/api/v3"
    env = configure(project, url, DEFAULT_TOKEN)
    project.write(
        "people.yaml",
        "profiles:\n"
        + "".join(
            f"  - key: p{n:03}\n    email: p{n}@example.com\n    first_name: P{n}\n"
            for n in range(COUNT)
        ),
    )
    sandbox = start_sandbox(db, port)
    try:
        plan_file = project.plans / "restart.json"
        assert project.cli("plan", "-o", str(plan_file), *TENANT, env=env).exit_code == 0
        apply = reconcile_process(
            project, env, "apply", str(plan_file), "--concurrency", "4", *TENANT
        )
        while (
            apply.poll() is None
            and sum(1 for e in journal_lines(plan_file) if e.get("status") == "ok") < COUNT // 4
        ):
            time.sleep(0.01)
        sandbox.send_signal(signal.SIGKILL)
        sandbox.wait()
        time.sleep(downtime)
        sandbox = start_sandbox(db, port)
        _, stderr = apply.communicate(timeout=300)
        completed = apply.returncode == 0
        if not completed:
            assert apply.returncode == 1, stderr
            assert "Traceback" not in stderr
            assert (
                f"Finish it with: reconcile -C {project.root} apply --resume {plan_file}" in stderr
            )
            resumed = project.cli("apply", "--resume", str(plan_file), *TENANT, env=env)
            assert resumed.exit_code == 0, resumed.output
        again = project.cli("plan", "--detailed-exitcode", *TENANT, env=env)
        assert again.exit_code == 0, again.output
        reader = TenantReader(url, DEFAULT_TOKEN)
        profiles = reader.profiles()
        reader.close()
    finally:
        sandbox.kill()
        sandbox.wait()
    assert len(profiles) == COUNT
    found = duplicates(profiles)
    assert found == {"owner": 0, "email": 0, "first_name": 0}
    return {"completed_without_resume": completed, "duplicates": sum(found.values())}


def test_a_sandbox_restarted_mid_apply_loses_nothing(project: Project, tmp_path: Path) -> None:
    restart_during_apply(project, tmp_path, downtime=0.5)


@pytest.mark.slow
def test_a_sandbox_down_for_seconds_mid_apply_resumes(
    project: Project, tmp_path: Path, summary: dict[str, Any]
) -> None:
    outcome = restart_during_apply(project, tmp_path, downtime=40)
    summary.update(name="sandbox_restart_mid_apply", downtime_seconds=40, changes=COUNT, **outcome)
