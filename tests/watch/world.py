"""The worlds ``reconcile watch`` is tested in: a real git repository in a temporary folder, served
sandbox tenants, a local receiver of notifications, and the agent as a separate process."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from reconcile.sandbox import SandboxConfig, ServedSandbox, serve_in_thread
from tests.conftest import REPO

SECRET = "s3cret-for-tests"
ADA_PROFILE = "first_name: Ada\nlast_name: Lovelace\nemail: ada@example.com\n"
_INHERITED = {k: v for k, v in os.environ.items() if k not in ("OMNEO_URL", "OMNEO_TOKEN")}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for(what: str, check: Callable[[], Any], timeout: float = 20.0) -> Any:
    """Poll ``check`` until it answers something true; that answer. Fails naming ``what``."""
    deadline = time.monotonic() + timeout
    while True:
        answer = check()
        if answer:
            return answer
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:g}s waiting for {what}")
        time.sleep(0.1)


@dataclass
class Repo:
    """A git repository that is also a reconcile project."""

    root: Path

    def git(self, *args: str) -> str:
        done = subprocess.run(
            ["git", "-C", str(self.root), *args], capture_output=True, text=True, check=True,
            env={**_INHERITED, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
                 "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"},
        )  # fmt: skip
        return done.stdout.strip()

    def write(self, relative: str, text: str) -> None:
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")

    def commit(self, message: str) -> str:
        self.git("add", "-A")
        self.git("commit", "--quiet", "-m", message)
        return self.git("rev-parse", "HEAD")


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    made = Repo(tmp_path / "repo")
    made.root.mkdir()
    made.git("init", "--quiet", "--initial-branch=main")
    made.write(".gitignore", ".reconcile/\nplans/\n")
    made.write("profiles.d/.keep", "")
    return made


class Tenant:
    """A served sandbox, read and scribbled on over its HTTP API (behind the tool's back)."""

    def __init__(self, served: ServedSandbox) -> None:
        self.served = served
        self.http = httpx.Client(
            base_url=served.url + "/", headers={"Authorization": f"Bearer {served.token}"}
        )

    def profiles(self) -> list[dict[str, Any]]:
        answer = self.http.get("profiles", params={"page[size]": "500"})
        answer.raise_for_status()
        rows: list[dict[str, Any]] = answer.json()["data"]
        return [row for row in rows if row.get("profile_type") != "system"]  # not the lock

    def by_email(self, email: str) -> dict[str, Any] | None:
        answer = self.http.get("profiles", params={"filter[email]": email})
        answer.raise_for_status()
        rows: list[dict[str, Any]] = answer.json()["data"]
        return rows[0] if rows else None

    def scribble(self, profile_id: object, **fields: object) -> None:
        self.http.put(f"profiles/{profile_id}", json=fields).raise_for_status()


@pytest.fixture
def tenants(tmp_path: Path) -> Iterator[Callable[..., Tenant]]:
    """Start served sandboxes on demand: ``tenants("name", latency_ms=...)``."""
    stack: list[Any] = []
    made: list[Tenant] = []

    def start(name: str, **faults: object) -> Tenant:
        config = SandboxConfig.model_validate({"db_path": tmp_path / name / "t.db", **faults})
        context = serve_in_thread(config)
        stack.append(context)
        made.append(Tenant(context.__enter__()))
        return made[-1]

    yield start
    for tenant in made:
        tenant.http.close()
    for context in reversed(stack):
        context.__exit__(None, None, None)


def tenant_config(name: str, tenant: Tenant, kind: str, watch: str = "", **extra: object) -> str:
    lines = [f"[tenants.{name}]", f'url = "{tenant.served.url}"',
             f'token_env = "{name.upper()}_TOKEN"', f'kind = "{kind}"', "rps = 1000"]  # fmt: skip
    lines += [f"{key} = {value}" for key, value in extra.items()]
    lines += [f"[tenants.{name}.watch]", watch]
    return "\n".join(lines) + "\n"


@dataclass
class Receiver:
    """A local HTTP endpoint that records what is POSTed to it (notifications)."""

    url: str
    received: list[dict[str, Any]] = field(default_factory=list)
    failures: int = 0  # answer this many POSTs 503 first (to see the retries)
    refused: int = 0

    def events(self, tenant: str) -> list[str]:
        return [n["event"] for n in self.received if n.get("tenant") == tenant]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    made = Receiver("")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            if made.refused < made.failures:
                made.refused += 1
                self.send_response(503)
            else:
                made.received.append(json.loads(body))
                self.send_response(204)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    made.url = f"http://127.0.0.1:{server.server_address[1]}/"
    yield made
    server.shutdown()
    server.server_close()


class Agent:
    """``reconcile watch`` running as its own process."""

    def __init__(self, project: Path, args: list[str], env: dict[str, str], log: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        command = [sys.executable, "-m", "reconcile", "-C", str(project), "watch",
                   "--port", str(self.port), *args]  # fmt: skip
        with log.open("ab") as sink:
            self.process = subprocess.Popen(
                command, cwd=REPO, stdout=sink, stderr=subprocess.STDOUT,
                env={**_INHERITED, "RECONCILE_WEBHOOK_SECRET": SECRET, **env},
            )  # fmt: skip
        wait_for("the agent's port", self._up, timeout=30)

    def _up(self) -> bool:
        if self.process.poll() is not None:
            pytest.fail(f"the agent exited ({self.process.returncode}):\n{self.output()}")
        try:
            return httpx.get(self.url + "/healthz", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def get(self, path: str) -> httpx.Response:
        return httpx.get(self.url + path, timeout=10)

    def metrics(self) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
        """Every sample, parsed by the Prometheus client's own parser."""
        text = self.get("/metrics").text
        return {
            (sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(text)
            for sample in family.samples
        }

    def sample(self, name: str, **labels: str) -> float:
        return self.metrics().get((name, tuple(sorted(labels.items()))), 0.0)

    def webhook(self, body: bytes, signature: str | None) -> httpx.Response:
        headers = {"X-GitHub-Event": "push", "Content-Type": "application/json"}
        if signature is not None:
            headers["X-Hub-Signature-256"] = signature
        return httpx.post(self.url + "/webhook", content=body, headers=headers, timeout=10)

    def terminate(self, timeout: float = 60) -> int:
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=timeout)

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)


def signed(body: bytes, secret: str = SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


@pytest.fixture
def agents(tmp_path: Path) -> Iterator[Callable[..., Agent]]:
    started: list[Agent] = []

    def start(repo: Repo, *args: str, env: dict[str, str] | None = None, at: str = "") -> Agent:
        """An agent run in the project at folder ``at`` of ``repo`` (its root by default)."""
        log = tmp_path / f"agent-{len(started)}.log"
        agent = Agent(repo.root / at, list(args), env or {}, log)
        started.append(agent)
        return agent

    yield start
    for agent in started:
        agent.close()
