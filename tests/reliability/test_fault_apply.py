"""Apply through a faulty tenant over real HTTP: 10% 5xx, 5% 429 with Retry-After, 2% of
connections dropped after the request was processed. The tenant ends exactly as declared, with no
duplicate, unmanaged profiles untouched byte for byte, and a new plan is empty.

The default run applies 53 changes; ``pytest -m slow tests/reliability`` applies 2,000.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Project
from tests.reliability.world import TENANT, TenantReader, configure, duplicates, served

FAULTS = {"error_rate": 0.10, "throttle_rate": 0.05, "drop_rate": 0.02}


def declare(project: Project, before: int, *, updated: int, deleted: int, created: int) -> None:
    """``before`` profiles a0000...; then ``updated`` of them changed, the next ``deleted`` ones
    gone from the files, and ``created`` new profiles b0000.... (``updated=0, deleted=0,
    created=0`` declares the starting state.)"""
    lines = ["profiles:"]
    changing = updated or deleted or created
    for n in range(before):
        if changing and updated <= n < updated + deleted:
            continue
        version = "v2" if changing and n < updated else "v1"
        lines += _profile(f"a{n:04}", f"Anna{n}", f"anna{n}@example.com", version, n)
    for n in range(created):
        lines += _profile(f"b{n:04}", f"Bert{n}", f"bert{n}@example.com", "v1", n)
    project.write("people.yaml", "\n".join(lines) + "\n")


def _profile(key: str, first: str, email: str, version: str, n: int) -> list[str]:
    return [
        f"  - key: {key}",
        f"    first_name: {first}",
        f"    last_name: {'Smith' if version == 'v1' else 'Jones'}",
        f"    email: {email}",
        f"    tags: [{version}, group-{n % 4}]",
        f"    custom_attributes: {{loyalty: {{tier: {version}}}}}",
    ]


def seed_unmanaged(reader: TenantReader, count: int) -> dict[str, str]:
    """Profiles nobody declared; returns each one's full JSON by id, to compare later."""
    for n in range(count):
        reader.create(
            {
                "email": f"walk-in{n}@shop.example.org",
                "first_name": f"Walkin{n}",
                "last_name": "Customer",
                "mobile_phone": f"+614000{n:05}",
                "tags": ["store"],
            }
        )
    return _snapshots(reader, [p["id"] for p in reader.profiles() if p["email"].startswith("walk")])


def _snapshots(reader: TenantReader, ids: list[str]) -> dict[str, str]:
    return {pid: reader.profile(pid).text for pid in ids}


def run_cli(project: Project, env: dict[str, str], *args: str) -> Any:
    return project.cli(*args, *TENANT, env=env)


def apply_through_faults(
    project: Project, tmp_path: Path, *, before: int, updated: int, deleted: int, created: int
) -> dict[str, Any]:
    project.write("people.yaml", "profiles: []\n")
    db = tmp_path / "tenant" / "sandbox.db"
    with served(db) as clean:  # the starting state, written without faults
        env = configure(project, clean.url, clean.token)
        reader = TenantReader(clean.url, clean.token)
        unmanaged = seed_unmanaged(reader, 25)
        declare(project, before, updated=0, deleted=0, created=0)
        start = project.plans / "start.json"
        assert run_cli(project, env, "plan", "-o", str(start)).exit_code == 0
        seeded = run_cli(project, env, "apply", str(start), "--bulk")
        assert seeded.exit_code == 0, seeded.output
        reader.close()

    declare(project, before, updated=updated, deleted=deleted, created=created)
    changes = updated + deleted + created
    with served(db, seed=7, **FAULTS) as faulty:
        env = configure(project, faulty.url, faulty.token)
        plan_file = project.plans / "faulty.json"
        planned = run_cli(
            project, env, "plan", "-o", str(plan_file), "--allow-delete", "--format", "json"
        )
        assert planned.exit_code == 0, planned.output
        counts = json.loads(planned.stdout)["summary"]
        assert (counts["create"], counts["update"], counts["delete"]) == (
            created,
            updated,
            deleted,
        )

        flags = ("--allow-delete", "--force", "--concurrency", "16")
        applied = run_cli(project, env, "apply", str(plan_file), *flags)
        resumes = 0
        while applied.exit_code != 0 and resumes < 3:  # a change that failed 5 times in a row
            assert (
                f"Finish it with: reconcile -C {project.root} apply --resume" in applied.stderr
            ), applied.output
            resumes += 1
            applied = run_cli(project, env, "apply", "--resume", str(plan_file), *flags)
        assert applied.exit_code == 0, applied.output
        assert "Traceback" not in applied.output

        again = run_cli(project, env, "plan", "--detailed-exitcode", "--allow-delete")
        assert again.exit_code == 0, again.output
        assert "No changes" in again.stdout
        injected = dict(faulty.app.injected)

        reader = TenantReader(faulty.url, faulty.token)
        profiles = reader.profiles()
        assert _snapshots(reader, list(unmanaged)) == unmanaged  # untouched, byte for byte
        reader.close()

    by_key = {
        i["identifier"]: p for p in profiles for i in p["identities"] if i["handle"] == "reconcile"
    }
    expected = {f"a{n:04}" for n in range(before) if not updated <= n < updated + deleted}
    expected |= {f"b{n:04}" for n in range(created)}
    assert set(by_key) == expected
    for n in range(before):
        key = f"a{n:04}"
        if key in by_key:
            version = "v2" if n < updated else "v1"
            assert by_key[key]["last_name"] == ("Jones" if version == "v2" else "Smith")
            assert version in by_key[key]["tags"]
            assert by_key[key]["custom_attributes"] == {"loyalty": {"tier": version}}
    assert all(by_key[f"b{n:04}"]["email"] == f"bert{n}@example.com" for n in range(created))
    found_duplicates = duplicates(profiles)
    assert found_duplicates == {"owner": 0, "email": 0, "first_name": 0}
    assert len(profiles) == len(expected) + len(unmanaged)  # no stray profile, no lock left
    assert not [p for p in profiles if p.get("profile_type") == "system"]
    calls = re.search(r"(\d+) API calls, (\d+) throttled \(429\), (\d+) retried", applied.stderr)
    return {
        "changes_applied": changes,
        "creates": created,
        "updates": updated,
        "deletes": deleted,
        "faults_injected": injected,
        "resumes_needed": resumes,
        "client_calls_last_run": int(calls.group(1)) if calls else None,
        "unmanaged_untouched": len(unmanaged),
        "duplicates_found": sum(found_duplicates.values()),
    }


def test_faults_lose_nothing_and_duplicate_nothing(project: Project, tmp_path: Path) -> None:
    figures = apply_through_faults(project, tmp_path, before=30, updated=15, deleted=8, created=30)
    assert figures["changes_applied"] == 53
    assert sum(figures["faults_injected"].values()) > 0


@pytest.mark.slow
def test_two_thousand_changes_through_faults(
    project: Project, tmp_path: Path, summary: dict[str, Any]
) -> None:
    figures = apply_through_faults(
        project, tmp_path, before=1000, updated=700, deleted=300, created=1000
    )
    summary.update(name="faults_2000_changes", **figures)
    assert figures["changes_applied"] == 2000
