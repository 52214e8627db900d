"""Apply over real HTTP against a served sandbox: kills, 429 storms, 5xx and dropped connections,
and bulk seeding. Each slow test has a small sibling in the default run."""

from __future__ import annotations

import os
import random
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from reconcile.plan.cost import BATCH_SIZE
from reconcile.sandbox import SandboxConfig, ServedSandbox, serve_in_thread
from tests.conftest import REPO, Project

TENANT = ("--tenant", "served")


@contextmanager
def served(tmp_path: Path, **faults: object) -> Iterator[ServedSandbox]:
    config = SandboxConfig.model_validate({"db_path": tmp_path / "served" / "t.db", **faults})
    with serve_in_thread(config) as sandbox:
        yield sandbox


def env_for(sandbox: ServedSandbox, project: Project) -> dict[str, str]:
    """Point the project at the served sandbox as a configured tenant with a generous rate."""
    (project.root / "reconcile.toml").write_text(
        f'[tenants.served]\nurl = "{sandbox.url}"\ntoken_env = "SERVED_TOKEN"\n'
        'kind = "test"\nrps = 1000\n'
    )
    return {"SERVED_TOKEN": sandbox.token}


def declare(project: Project, count: int, *, prefix: str = "c") -> None:
    lines = ["profiles:"]
    for n in range(count):
        lines += [
            f"  - key: {prefix}{n:04}",
            f"    first_name: Customer{n}",
            f"    email: {prefix}{n}@example.com",
            f"    tags: [seed, batch-{n % 3}]",
            "    attributes: {comms: {email_promo: true}}",
            f"    custom_attributes: {{loyalty: {{points: {n}}}}}",
        ]
    project.write("seed.yaml", "\n".join(lines) + "\n")


def totals(sandbox: ServedSandbox) -> tuple[int, int]:
    """(profiles on the tenant, identities of the owner handle), read straight over HTTP."""
    profiles = _get_despite_faults(sandbox, "profiles", {"page[size]": "1"})
    owned = _get_despite_faults(
        sandbox, "identities", {"filter[handle]": "reconcile", "page[size]": "1"}
    )
    return int(profiles["meta"]["total"]), int(owned["meta"]["total"])


def _get_despite_faults(sandbox: ServedSandbox, path: str, params: dict[str, str]) -> Any:
    headers = {"Authorization": f"Bearer {sandbox.token}"}
    with httpx.Client(base_url=sandbox.url + "/", headers=headers) as http:
        for _ in range(30):
            try:
                response = http.get(path, params=params)
            except httpx.HTTPError:
                continue
            if response.status_code == 200:
                return response.json()
            time.sleep(0.05)
    raise AssertionError(f"GET {path} kept failing")


def plan_and_apply(project: Project, env: dict[str, str], *flags: str) -> tuple[Path, str]:
    plan_file = project.plans / "seed.json"
    planned = project.cli("plan", "-o", str(plan_file), *TENANT, env=env)
    assert planned.exit_code == 0, planned.output
    applied = project.cli("apply", str(plan_file), *TENANT, *flags, env=env)
    assert applied.exit_code == 0, applied.output
    return plan_file, applied.stderr


def assert_converged(project: Project, env: dict[str, str]) -> None:
    again = project.cli("plan", "--detailed-exitcode", *TENANT, env=env)
    assert again.exit_code == 0, again.output
    assert "No changes" in again.stdout


# -- a killed apply, resumed -----------------------------------------------------------------


def kill_apply_midway(
    project: Project,
    plan_file: Path,
    env: dict[str, str],
    seed: int,
    signal_number: int = signal.SIGKILL,
    flags: tuple[str, ...] = (),
) -> tuple[int, str]:
    """Start a real `python -m reconcile apply`, send it ``signal_number`` after a random number
    of changes started; returns its exit status and what it printed on stderr."""
    journal = plan_file.with_name(f"{plan_file.stem}.journal.jsonl")
    stop_after = random.Random(seed).randint(1, 36)
    process = subprocess.Popen(
        [sys.executable, "-m", "reconcile", "-C", str(project.root), "apply", str(plan_file),
         "--concurrency", "4", *TENANT, *flags],
        cwd=REPO, env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while process.poll() is None and time.monotonic() < deadline:
        started = journal.read_text().count('"started"') if journal.exists() else 0
        if started >= stop_after:
            process.send_signal(signal_number)
            break
        time.sleep(0.005)
    _, stderr = process.communicate(timeout=30)
    return process.returncode, stderr


@pytest.mark.parametrize(
    "seed", [1, *(pytest.param(n, marks=pytest.mark.slow) for n in range(2, 12))]
)
def test_a_killed_apply_resumes_to_the_declared_state_without_duplicates(
    project: Project, tmp_path: Path, seed: int
) -> None:
    declare(project, 40)
    with served(tmp_path, latency_ms=5) as sandbox:
        env = env_for(sandbox, project)
        plan_file = project.plans / "seed.json"
        assert project.cli("plan", "-o", str(plan_file), *TENANT, env=env).exit_code == 0

        assert kill_apply_midway(project, plan_file, env, seed)[0] == -signal.SIGKILL
        resumed = project.cli("apply", "--resume", str(plan_file), *TENANT, env=env)

        assert resumed.exit_code == 0, resumed.output
        found = re.search(r"(\d+) already done", resumed.stderr)
        done = int(found.group(1)) if found else 0
        assert done < 40  # the killed run did part of the work (maybe none), the resume the rest
        assert f"{40 - done} applied, 0 failed" in resumed.stderr
        assert totals(sandbox) == (40, 40)
        assert_converged(project, env)


def test_a_killed_apply_of_updates_resumes_accepting_the_profiles_it_touched(
    project: Project, tmp_path: Path
) -> None:
    declare(project, 40)
    with served(tmp_path, latency_ms=5) as sandbox:
        env = env_for(sandbox, project)
        plan_and_apply(project, env)
        text = (project.profiles / "seed.yaml").read_text()
        project.write("seed.yaml", text.replace("first_name: Customer", "first_name: Client"))
        plan_file = project.plans / "rename.json"
        assert project.cli("plan", "-o", str(plan_file), *TENANT, env=env).exit_code == 0

        killed = kill_apply_midway(project, plan_file, env, 5, flags=("--force",))
        assert killed[0] == -signal.SIGKILL
        resumed = project.cli("apply", "--resume", str(plan_file), "--force", *TENANT, env=env)

        assert resumed.exit_code == 0, resumed.output
        assert totals(sandbox) == (40, 40)
        assert_converged(project, env)


def test_an_interrupted_apply_says_how_to_resume(project: Project, tmp_path: Path) -> None:
    declare(project, 40)
    with served(tmp_path, latency_ms=5) as sandbox:
        env = env_for(sandbox, project)
        plan_file = project.plans / "seed.json"
        assert project.cli("plan", "-o", str(plan_file), *TENANT, env=env).exit_code == 0

        status, stderr = kill_apply_midway(project, plan_file, env, 3, signal.SIGINT)

        assert status == 1, stderr
        assert (
            f"finish with `reconcile -C {project.root} apply --resume {plan_file} --tenant served`"
            in stderr
        )
        assert "Traceback" not in stderr
        resumed = project.cli("apply", "--resume", str(plan_file), *TENANT, env=env)
        assert resumed.exit_code == 0, resumed.output
        assert totals(sandbox) == (40, 40)


# -- faults ----------------------------------------------------------------------------------


def test_a_429_storm_slows_apply_down_but_it_finishes(project: Project, tmp_path: Path) -> None:
    declare(project, 15)
    with served(tmp_path, rate_limit_rps=20) as sandbox:
        env = env_for(sandbox, project)

        _, report = plan_and_apply(project, env)

        assert "15 applied, 0 failed" in report
        assert "throttled (429)" in report
        assert totals(sandbox) == (15, 15)
        assert_converged(project, env)


def test_server_errors_and_dropped_connections_are_survived_without_duplicates(
    project: Project, tmp_path: Path
) -> None:
    declare(project, 30)
    project.write("adopted.yaml", "email: walk-in@example.com\nfirst_name: Walk\n")
    with served(tmp_path, error_rate=0.1, drop_rate=0.05, seed=11) as sandbox:
        _create_despite_faults(sandbox, {"email": "walk-in@example.com"})  # to be adopted
        env = env_for(sandbox, project)

        _, report = plan_and_apply(project, env)

        assert "31 applied, 0 failed" in report
        assert "retried" in report
        assert totals(sandbox) == (31, 31)
        assert_converged(project, env)


def _create_despite_faults(sandbox: ServedSandbox, body: dict[str, str]) -> None:
    headers = {"Authorization": f"Bearer {sandbox.token}"}
    with httpx.Client(base_url=sandbox.url + "/", headers=headers) as http:
        for _ in range(20):
            try:
                if http.post("profiles", json=body).status_code in (201, 422):
                    return
            except httpx.HTTPError:
                continue
    raise AssertionError("could not create the unmanaged profile")


# -- bulk ------------------------------------------------------------------------------------


def bulk_seed(project: Project, tmp_path: Path, count: int) -> None:
    declare(project, count)
    project.write("adopted.yaml", "email: walk-in@example.com\nfirst_name: Walk\n")
    with served(tmp_path) as sandbox:
        _create_despite_faults(sandbox, {"email": "walk-in@example.com"})
        env = env_for(sandbox, project)

        plan_file, report = plan_and_apply(project, env, "--bulk")

        assert f"{count + 1} applied, 0 failed" in report
        assert totals(sandbox) == (count + 1, count + 1)
        journal = plan_file.with_name("seed.journal.jsonl").read_text()
        assert journal.count('"status":"ok"') == count + 1
        assert '"mode":"bulk"' in journal
        assert_converged(project, env)


def test_bulk_mode_seeds_profiles_in_more_than_one_batch(project: Project, tmp_path: Path) -> None:
    bulk_seed(project, tmp_path, BATCH_SIZE + 50)


@pytest.mark.slow  # four batches and pages: the full-size twin of the above
def test_bulk_mode_seeds_two_thousand_profiles(project: Project, tmp_path: Path) -> None:
    bulk_seed(project, tmp_path, 2000)


def test_bulk_mode_reports_a_profile_the_batch_refused(project: Project, tmp_path: Path) -> None:
    declare(project, 5)
    with served(tmp_path) as sandbox:
        env = env_for(sandbox, project)
        plan_file = project.plans / "seed.json"
        assert project.cli("plan", "-o", str(plan_file), *TENANT, env=env).exit_code == 0
        _create_despite_faults(sandbox, {"email": "c3@example.com"})  # taken after review

        applied = project.cli("apply", str(plan_file), "--bulk", *TENANT, env=env)

        assert applied.exit_code == 1
        assert "4 applied, 1 failed" in applied.stderr
        assert "failed: create c0003: the batch refused it: email:" in applied.stderr
        assert totals(sandbox) == (5, 4)
