"""Ordinary mistakes end in one ``error:`` line that says where and what to do, never a traceback.

Each case is fixed where the error starts (the plan file, the journal, export, the tenant client,
the apply lock, the sandbox's database and options), so the library says the same as the CLI.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys

import pytest
from click.testing import Result

from reconcile.errors import ApiError
from reconcile.sandbox import READ_ONLY_TOKEN, ServedSandbox
from reconcile.settings import load_settings, resolve_target
from reconcile.tenant.client import OmneoClient
from reconcile.tenant.ratelimit import RetryPolicy
from tests.conftest import REPO, Project
from tests.reliability.world import configure


def one_error(result: Result, *, code: int = 1) -> str:
    """The single ``error:`` line of a failed command (and no traceback)."""
    lines = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert len(lines) == 1, result.output
    return lines[0]


def declare_jane(project: Project) -> None:
    project.write("jane.yaml", "email: jane@example.com\nfirst_name: Jane\n")


def test_plan_out_to_a_folder(project: Project) -> None:
    declare_jane(project)
    (project.root / "plans").mkdir()
    error = one_error(project.cli("plan", "-o", str(project.root / "plans")))
    assert "plans is a folder: save the plan to a file, e.g." in error and "NAME.json" in error


def test_export_out_to_a_file(project: Project) -> None:
    declare_jane(project)
    assert project.cli("apply", "--auto-approve").exit_code == 0
    afile = project.root / "afile"
    afile.write_text("")
    error = one_error(project.cli("export", "--out", str(afile)))
    assert error.endswith(
        "afile is a file: --out names the folder to export into, e.g. profiles.d/"
    )


def test_a_journal_path_that_is_a_folder(project: Project) -> None:
    declare_jane(project)
    plan_file = project.plans / "p.json"
    assert project.cli("plan", "-o", str(plan_file)).exit_code == 0
    (project.plans / "p.journal.jsonl").mkdir()
    error = one_error(project.cli("apply", str(plan_file)))
    assert "p.journal.jsonl is a folder: the journal of p.json goes there; move it away" in error


@pytest.mark.parametrize("damage", ["garbage", "folder", "torn"])
def test_plan_on_a_damaged_local_sandbox(project: Project, damage: str) -> None:
    declare_jane(project)
    db = project.root / ".reconcile" / "sandbox.db"
    if damage == "torn":
        assert project.cli("apply", "--auto-approve").exit_code == 0
        raw = bytearray(db.read_bytes())
        raw[100::3] = b"\xab" * len(raw[100::3])
        db.write_bytes(bytes(raw))
        for extra in db.parent.glob("sandbox.db-*"):
            extra.unlink()
    elif damage == "folder":
        db.mkdir(parents=True)
    else:
        db.parent.mkdir(parents=True)
        db.write_text("not a database\n")
    error = one_error(project.cli("plan"))
    assert error.startswith("error: ") and "sandbox.db: " in error
    assert "move it away, or delete it to start an empty sandbox" in error


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--port", "99999"], "port 99999 does not exist: choose a port from 1 to 65535"),
        (["--error-rate", "2"], "--error-rate 2.0: input should be less than or equal to 1"),
        (["--latency-ms", "-5"], "--latency-ms -5.0: input should be greater than or equal to 0"),
        (["--db", "{root}/notdb"], "notdb: cannot be opened as a sandbox database (file is not"),
        (["--db", "{root}/folder"], "folder: is a folder, not a database file: pass --db with"),
    ],
)
def test_sandbox_serve_refuses_bad_options_in_one_line(
    project: Project, args: list[str], expected: str
) -> None:
    (project.root / "notdb").write_text("hello\n")
    (project.root / "folder").mkdir()
    given = [a.format(root=project.root) for a in args]
    error = one_error(project.cli("sandbox", "serve", *given))
    assert expected in error
    assert "pydantic" not in error and "http" not in error


def test_sandbox_serve_on_ipv6_loopback_prints_a_bracketed_url(project: Project) -> None:
    if not socket.has_ipv6:
        pytest.skip("no IPv6 on this machine")
    try:
        with socket.socket(socket.AF_INET6) as probe:
            probe.bind(("::1", 0))
            port = probe.getsockname()[1]
    except OSError:
        pytest.skip("no IPv6 loopback on this machine")
    env = {k: v for k, v in os.environ.items() if k not in ("OMNEO_URL", "OMNEO_TOKEN")}
    server = subprocess.Popen(
        [sys.executable, "-m", "reconcile", "-C", str(project.root), "sandbox", "serve",
         "--host", "::1", "--port", str(port)],
        cwd=REPO, env=env, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert server.stderr is not None
        first = server.stderr.readline()
    finally:
        server.send_signal(signal.SIGINT)
        server.communicate(timeout=30)
    assert f"on http://[::1]:{port}/api/v3 with its published tokens" in first


UNREACHABLE = '[tenants.staging]\nurl = "http://127.0.0.1:9/api/v3"\ntoken_env = "STAGING_TOKEN"\n'


def test_an_unreachable_tenant_is_named_with_its_url_after_one_attempt(project: Project) -> None:
    """The small twin of the test below: the same error, from the client, without the retries."""
    (project.root / "reconcile.toml").write_text(UNREACHABLE)
    target = resolve_target(load_settings(project.root), "staging", {"STAGING_TOKEN": "t0ken"})

    async def read() -> None:
        async with OmneoClient.open(target, retry=RetryPolicy(attempts=1)) as client:
            await client.get_profile("1")

    with pytest.raises(ApiError) as raised:
        asyncio.run(read())
    assert str(raised.value).startswith(
        "cannot reach tenant 'staging' at http://127.0.0.1:9/api/v3: connection refused ("
    )


@pytest.mark.slow  # about 15 s of retries before it gives up
def test_an_unreachable_tenant_is_named_with_its_url(project: Project) -> None:
    declare_jane(project)
    (project.root / "reconcile.toml").write_text(UNREACHABLE)
    result = project.cli("plan", "--tenant", "staging", env={"STAGING_TOKEN": "t0ken"})
    error = one_error(result)
    assert error.startswith(
        "error: cannot reach tenant 'staging' at http://127.0.0.1:9/api/v3: connection refused ("
    )


def test_apply_with_a_read_only_token_says_the_lock_needs_a_write_token(
    project: Project, served_sandbox: ServedSandbox
) -> None:
    declare_jane(project)
    env = configure(project, served_sandbox.url, READ_ONLY_TOKEN)
    plan_file = project.plans / "p.json"
    assert project.cli("plan", "-o", str(plan_file), "--tenant", "served", env=env).exit_code == 0
    error = one_error(project.cli("apply", str(plan_file), "--tenant", "served", env=env))
    assert "the tenant refused to create the apply lock (POST profiles answered 403)" in error
    assert "apply needs a token that can write profiles, not a read-only one" in error
