"""Worlds of the reliability suite: served tenants (with faults), a fault-tolerant reader of
the tenant's true state, projects configured for a served tenant, and the run summary.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from reconcile.sandbox import SandboxConfig, ServedSandbox, serve_in_thread
from tests.conftest import REPO, Project

TENANT = ("--tenant", "served")


@contextmanager
def served(db: Path, **faults: Any) -> Iterator[ServedSandbox]:
    """A sandbox on ``db`` served over real HTTP, with the given faults."""
    db.parent.mkdir(parents=True, exist_ok=True)
    with serve_in_thread(SandboxConfig.model_validate({"db_path": db, **faults})) as sandbox:
        yield sandbox


def configure(project: Project, url: str, token: str, *, extra: str = "") -> dict[str, str]:
    """Point ``project`` at ``url`` as tenant ``served``; the token travels in an env variable."""
    (project.root / "reconcile.toml").write_text(
        f'[tenants.served]\nurl = "{url}"\ntoken_env = "SERVED_TOKEN"\n'
        f'kind = "test"\nrps = 1000\n{extra}'
    )
    return {"SERVED_TOKEN": token}


class TenantReader:
    """Reads (and seeds) a served tenant straight over HTTP, retrying through injected faults."""

    def __init__(self, url: str, token: str) -> None:
        self.http = httpx.Client(
            base_url=url + "/", headers={"Authorization": f"Bearer {token}"}, timeout=30
        )

    def close(self) -> None:
        self.http.close()

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        for _ in range(60):
            try:
                answer = self.http.request(method, path, **kwargs)
            except httpx.HTTPError:
                time.sleep(0.05)
                continue
            if answer.status_code not in (429, 503):
                return answer
            time.sleep(0.05)
        raise AssertionError(f"{method} {path} kept failing")

    def profiles(self) -> list[dict[str, Any]]:
        """Every profile the tenant lists (active ones of every type), all pages."""
        found: list[dict[str, Any]] = []
        number = last = 1
        while number <= last:
            params = {"page[size]": "500", "page[number]": str(number), "sort": "created_at"}
            body = self.request("GET", "profiles", params=params).json()
            found += body["data"]
            number, last = number + 1, int(body["meta"]["last_page"])
        return found

    def profile(self, profile_id: str) -> httpx.Response:
        return self.request("GET", f"profiles/{profile_id}")

    def create(self, body: dict[str, Any]) -> dict[str, Any]:
        """Create a profile, surviving a dropped answer (then it is found by its email)."""
        for _ in range(20):
            answer = self.request("POST", "profiles", json=body)
            if answer.status_code == 201:
                return dict(answer.json()["data"])
            found = self.request("GET", "profiles", params={"filter[email]": body["email"]})
            if found.json()["data"]:
                return dict(found.json()["data"][0])
        raise AssertionError(f"could not create {body['email']}")


def reconcile_process(
    project: Project, env: dict[str, str], *args: str, **popen: Any
) -> subprocess.Popen[str]:
    """A real ``python -m reconcile`` process working in ``project``."""
    return subprocess.Popen(
        [sys.executable, "-m", "reconcile", "-C", str(project.root), *args],
        cwd=REPO,
        env={**os.environ, "NO_COLOR": "1", **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **popen,
    )


def journal_of(plan_file: Path) -> Path:
    return plan_file.with_name(f"{plan_file.stem}.journal.jsonl")


def journal_lines(plan_file: Path) -> list[dict[str, Any]]:
    path = journal_of(plan_file)
    if not path.exists():
        return []
    lines = []
    for line in path.read_text().splitlines():
        try:
            lines.append(json.loads(line))
        except json.JSONDecodeError:  # a torn last line of a killed run
            continue
    return lines


def duplicates(profiles: list[dict[str, Any]], owner: str = "reconcile") -> dict[str, int]:
    """How many profiles share an owner identity, an email, or a declared first name."""
    counts: dict[str, dict[str, int]] = {"owner": {}, "email": {}, "first_name": {}}
    for profile in profiles:
        for identity in profile.get("identities") or []:
            if identity["handle"] == owner:
                bucket = counts["owner"]
                bucket[identity["identifier"]] = bucket.get(identity["identifier"], 0) + 1
        for field in ("email", "first_name"):
            value = profile.get(field)
            if value and value != "Unknown":
                counts[field][value] = counts[field].get(value, 0) + 1
    return {kind: sum(n - 1 for n in seen.values()) for kind, seen in counts.items()}
