"""The agent's parts on their own, in process: the decision, the policy, signatures, history,
notifications, the page's escaping, the git source, and the container image's Dockerfile."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import re
import threading
from pathlib import Path

import pytest
from typer.testing import CliRunner

from reconcile.cli import app
from reconcile.errors import ConfigError, SourceError
from reconcile.plan.options import PlanOptions
from reconcile.plan.value import Change, Conflict, Plan, Withheld
from reconcile.settings import load_settings
from reconcile.watch.config import WatchPolicy
from reconcile.watch.cycle import CycleInput, decide, run_cycle
from reconcile.watch.history import History, TenantMemory
from reconcile.watch.notify import Notifier, event_for, notification, scrub
from reconcile.watch.page import TenantView, cycle_page, status_page
from reconcile.watch.reconciler import ProjectReconciler, Reconciler
from reconcile.watch.record import CycleRecord
from reconcile.watch.source import TOKEN_ENV, GitSource, _git_environment
from reconcile.watch.web import signature_ok
from tests.conftest import REPO
from tests.watch.world import ADA_PROFILE, Receiver, Repo

SELF_HEAL = WatchPolicy(mode="self-heal")


def plan(**parts: object) -> Plan:
    return Plan.model_validate({"options": PlanOptions(tenant="t"), "inputs_digest": "", **parts})


def record(**fields: object) -> CycleRecord:
    given = {"tenant": "staging", "started_at": "2026-12-06T07:00:00Z", "duration": 0.5}
    return CycleRecord.model_validate({**given, "outcome": "in-sync", **fields})


def test_self_heal_applies_only_a_safe_plan_without_conflicts() -> None:
    update = Change(action="update", key="ada")
    assert decide(plan(), SELF_HEAL, "test").reason == "in sync"
    assert decide(plan(changes=(update,)), SELF_HEAL, "test").apply
    unsafe = plan(changes=(update,), unsafe=("updates 100% of managed profiles",))
    assert not decide(unsafe, SELF_HEAL, "test").apply
    assert "needs a person" in decide(unsafe, SELF_HEAL, "test").reason
    conflict = Conflict(kind="ambiguous", keys=("ada",), fields=("email",), reason="two match")
    assert not decide(plan(changes=(update,), conflicts=(conflict,)), SELF_HEAL, "test").apply
    withheld = plan(withheld=(Withheld(action="delete", key="gone", reason="undeclared"),))
    held = decide(withheld, SELF_HEAL, "test")
    assert not held.apply and "--allow-delete" in held.reason


def test_drift_only_never_applies_and_is_the_production_default() -> None:
    drifted = plan(changes=(Change(action="update", key="ada"),))
    assert WatchPolicy().mode_for("production") == "drift-only"
    assert WatchPolicy().mode_for("test") == "self-heal"
    assert not decide(drifted, WatchPolicy(), "production").apply
    assert not decide(drifted, WatchPolicy(mode="drift-only"), "test").apply
    assert decide(drifted, WatchPolicy(mode="self-heal"), "production").apply  # opted in


def test_the_policy_is_read_from_reconcile_toml_and_a_typo_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "reconcile.toml").write_text(
        '[tenants.staging]\nurl = "https://x/api/v3"\nkind = "test"\n'
        '[tenants.staging.watch]\nmode = "drift-only"\nprune = true\n'
    )
    policy = load_settings(tmp_path).tenants["staging"].watch
    assert (policy.mode, policy.prune, policy.purge) == ("drift-only", True, False)
    (tmp_path / "reconcile.toml").write_text('[tenants.s]\nurl = "u"\n[tenants.s.watch]\nmod = 1\n')
    with pytest.raises(ConfigError, match=r"tenants\.s\.watch\.mod"):
        load_settings(tmp_path)


def test_webhook_signatures_are_githubs_hmac_sha256() -> None:
    body = b'{"ref": "refs/heads/main"}'
    good = "sha256=" + hmac.new(b"secret", body, hashlib.sha256).hexdigest()
    assert signature_ok(b"secret", body, good)
    assert not signature_ok(b"other", body, good)
    assert not signature_ok(b"secret", body + b" ", good)
    assert not signature_ok(b"secret", body, None)
    assert not signature_ok(b"secret", body, good.replace("sha256=", "sha1="))


def test_history_is_bounded_per_tenant_and_remembers_across_opening(tmp_path: Path) -> None:
    history = History(tmp_path / "history.db", keep=10)
    for n in range(25):
        history.add(record(tenant="a" if n % 5 else "b", summary=f"cycle {n}"))
    assert len(history.recent("a", limit=100)) == 10
    assert len(history.recent("b", limit=100)) == 5
    assert history.recent(limit=1)[0].summary == "cycle 24"
    history.remember("a", TenantMemory(notified="drifted", last_good="abc", pending_plan=None))
    history.close()
    again = History(tmp_path / "history.db", keep=10)
    assert again.memory("a") == TenantMemory(notified="drifted", last_good="abc")
    assert again.memory("new") == TenantMemory()
    again.close()


def test_a_notification_is_sent_on_a_change_of_state_only_and_masks_personal_data() -> None:
    assert event_for("in sync", "drifted", record(outcome="drifted")) == "drifted"
    assert event_for("drifted", "drifted", record(outcome="drifted")) is None
    assert event_for("drifted", "in sync", record()) == "in-sync"
    assert event_for("in sync", "failing", record(outcome="failed")) == "failing"
    assert event_for("failing", "in sync", record()) == "recovered"
    assert event_for("in sync", "in sync", record(outcome="healed", applied=3)) == "healed"
    assert event_for("drifted", "drifted", record(outcome="skipped")) is None
    failed = record(outcome="failed", error="422: ada.lovelace@example.com, +61 412 345 678 taken")
    note = notification(failed, "failing", "failing", "in sync")
    assert "ada.lovelace@example.com" not in (note.error or "")
    assert "412 345" not in (note.error or "")
    assert "a***@example.com" in scrub("ada@example.com")
    assert note.slack()["text"].startswith("*reconcile watch*: tenant *staging* is failing")


def test_the_page_escapes_everything_it_shows() -> None:
    hostile = record(outcome="failed", error="<script>alert(1)</script>", report="<b>x</b>")
    view = TenantView(tenant="<i>t</i>", kind="test", mode="self-heal", state="failing",
                      last=hostile.model_copy(update={"id": 7}))  # fmt: skip
    for page in (status_page("<repo>", [view], [hostile], refresh=5), cycle_page(hostile)):
        assert "<script>" not in page and "<b>x" not in page and "<i>t" not in page
        assert "&lt;script&gt;" in page
    assert '<meta http-equiv="refresh" content="5">' in status_page("r", [], [], refresh=5)


def test_the_git_source_checks_out_committed_files_only(repo: Repo, tmp_path: Path) -> None:
    repo.write("profiles.d/ada.yaml", "first_name: Ada\n")
    first = repo.commit("Ada")
    repo.write("profiles.d/uncommitted.yaml", "first_name: Nobody\n")
    source = GitSource(str(repo.root), None, state=tmp_path / "state", env={})
    assert source.branch == "main"
    assert source.fetch() == first
    checkout = source.checkout(first)
    assert (checkout / "profiles.d" / "ada.yaml").read_text() == "first_name: Ada\n"
    assert not (checkout / "profiles.d" / "uncommitted.yaml").exists()
    assert not (checkout / ".git").exists()
    repo.write("profiles.d/grace.yaml", "first_name: Grace\n")
    second = repo.commit("Grace")
    assert source.fetch() == second
    source.checkout(second)
    source.keep_only({second})
    assert sorted(p.name for p in source.checkouts.iterdir()) == [second]


def test_the_project_may_be_a_folder_of_the_repository(repo: Repo, tmp_path: Path) -> None:
    repo.write("crm/reconcile/profiles.d/ada.yaml", ADA_PROFILE)
    repo.commit("Ada, in a folder")

    here = GitSource(str(repo.root / "crm" / "reconcile"), None, state=tmp_path / "a", env={})
    assert here.path == "crm/reconcile" and here.shown.endswith("(main), folder crm/reconcile")
    assert (here.checkout(here.fetch()) / "profiles.d" / "ada.yaml").read_text() == ADA_PROFILE
    given = GitSource(str(repo.root), None, state=tmp_path / "b", env={}, path="./crm/reconcile/")
    assert given.checkout(given.fetch()).parts[-2:] == ("crm", "reconcile")
    typo = GitSource(str(repo.root), None, state=tmp_path / "c", env={}, path="crm/reconcle")
    with pytest.raises(SourceError, match="has no folder 'crm/reconcle': check --path"):
        typo.checkout(typo.fetch())
    for outside in ("../elsewhere", "/etc"):
        with pytest.raises(ConfigError, match="not a folder inside the repository"):
            GitSource(str(repo.root), None, state=tmp_path / "d", env={}, path=outside)
    wrong = CliRunner().invoke(app, ["-C", str(repo.root), "watch", "--path", "crm/reconcle"])
    assert wrong.exit_code == 1 and wrong.output.count("\n") == 1, wrong.output
    assert "has no folder 'crm/reconcle'" in wrong.output


def test_git_credentials_come_from_the_environment_and_are_never_shown(tmp_path: Path) -> None:
    env = _git_environment({TOKEN_ENV: "ghp_secret"})
    assert env["GIT_CONFIG_KEY_0"] == "http.extraHeader"
    assert "ghp_secret" not in env["GIT_CONFIG_VALUE_0"]  # base64, in a header, not argv
    assert env["GIT_TERMINAL_PROMPT"] == "0"
    source = GitSource("http://user:hunter2@127.0.0.1:9/x.git", "main", state=tmp_path, env={})
    with pytest.raises(SourceError) as refused:
        source.fetch()
    assert "hunter2" not in str(refused.value) and "127.0.0.1:9/x.git" in str(refused.value)
    assert not refused.value.permanent  # nothing listens there: it may come back


def test_watching_a_folder_that_is_not_a_checkout_is_one_line(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["-C", str(tmp_path), "watch", "--port", "0"])
    assert result.exit_code == 1
    assert result.output.count("\n") == 1 and "is not a git checkout" in result.output


def test_dockerfile_is_multi_stage_non_root_and_ships_no_build_tools() -> None:
    text = (REPO / "Dockerfile").read_text()
    lines = [line.strip() for line in re.sub(r"\\\n", " ", text).splitlines()]
    instructions = [line for line in lines if line and not line.startswith("#")]
    stages = [line for line in instructions if line.startswith("FROM ")]
    assert len(stages) >= 2
    final = instructions[instructions.index(stages[-1]) :]
    users = [line.split()[1] for line in final if line.startswith("USER ")]
    assert users and users[-1].split(":")[0] not in ("root", "0")
    assert any(line.startswith("COPY --from=") for line in final)
    installs = " ".join(line for line in final if "apt-get install" in line)
    for tool in ("gcc", "build-essential", "make", "g++", "pip install"):
        assert tool not in installs and not any(tool in line for line in final if "RUN" in line)
    assert any(line.startswith("ENTRYPOINT") and "watch" in line for line in final)
    ignored = (REPO / ".dockerignore").read_text().split()
    assert ".git" in ignored and ".venv" in ignored and ".reconcile" in ignored


def test_notifications_are_retried_with_backoff_until_answered(receiver: Receiver) -> None:
    receiver.failures = 2  # answered 503 twice, then taken
    outcomes: list[bool] = []
    notifier = Notifier(receiver.url, receiver.url, first_delay=0.05, on_outcome=outcomes.append)
    note = notification(record(outcome="drifted"), "drifted", "drifted", "in sync")

    async def send() -> None:
        notifier.send(note)
        await notifier.drain(timeout=10)

    asyncio.run(send())
    assert outcomes == [True, True]
    assert receiver.refused == 2 and len(receiver.received) == 2  # refused twice, then taken
    json_form, slack_form = sorted(receiver.received, key=lambda body: "text" in body)
    assert json_form["event"] == "drifted" and json_form["previous"] == "in sync"
    assert slack_form["text"].startswith("*reconcile watch*: tenant *staging* is drifted")


def test_one_cycle_in_process_heals_and_leaves_a_plan_it_cannot_resume(
    repo: Repo, tmp_path: Path
) -> None:
    repo.write("profiles.d/ada.yaml", ADA_PROFILE)
    commit = repo.commit("Ada")
    state = tmp_path / "state"
    source = GitSource(str(repo.root), None, state=state, env={})
    assert source.fetch() == commit

    def opened(chosen: str) -> Reconciler:
        return ProjectReconciler(source.checkout(chosen), "local", state=state, env={})

    gone = CycleInput("local", commit, last_good=None, lock_wait=0, resume=tmp_path / "gone.json")
    healed = run_cycle(gone, opened, threading.Event())
    assert healed.outcome == "healed" and healed.applied == 1
    assert healed.summary.startswith("not resumed gone.json (")
    assert "a***@example.com" in healed.report and "ada@example.com" not in healed.report
    again = run_cycle(CycleInput("local", commit, commit, lock_wait=0), opened, threading.Event())
    assert again.outcome == "in-sync" and again.drift["create"] == 0 and again.api_calls > 0
    assert (state / "sandbox.db").exists()  # the agent's sandbox lives in its state folder
