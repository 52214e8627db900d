"""Rough edges a careless user meets: each is one clear line, never a traceback, never wrong."""

from __future__ import annotations

import os
import re
import shlex
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import click
import typer
from typer.testing import CliRunner

from reconcile.cli import app
from tests.conftest import REPO, Project
from tests.test_apply_served import TENANT, declare, env_for, served


def test_the_apply_hint_is_quoted_for_the_shell_and_keeps_the_tenant(project: Project) -> None:
    project.write("ann.yaml", "email: ann@example.com\n")
    plan_file = project.root / "my plans" / "first plan.json"

    made = project.cli("plan", "-o", str(plan_file), "--tenant", "local")

    assert made.exit_code == 0, made.output
    hint = made.stderr.split("apply it with: ", 1)[1].strip()
    words = shlex.split(hint)
    chdir = str(project.root)  # absolute: it is not below the current folder
    assert words == ["reconcile", "-C", chdir, "apply", str(plan_file), "--tenant", "local"]
    applied = as_printed(words)
    assert applied.exit_code == 0, applied.output


def as_printed(words: list[str]) -> click.testing.Result:
    """Run a command the CLI printed, exactly as a user pastes it (``-C`` included)."""
    assert words[0] == "reconcile"
    runner = CliRunner(env={"NO_COLOR": "1", "OMNEO_URL": None, "OMNEO_TOKEN": None})
    return runner.invoke(app, words[1:])


def test_the_teardown_hint_is_a_command_that_works_as_printed(project: Project) -> None:
    project.write("ann.yaml", "email: ann@example.com\n")
    assert project.cli("apply", "--auto-approve").exit_code == 0
    plan_file = project.root / "my plans" / "tear down.json"

    saved = project.cli("teardown", "-o", str(plan_file), "--tenant", "local")

    assert saved.exit_code == 0, saved.output
    words = shlex.split(saved.stderr.split("apply it with: ", 1)[1].strip())
    assert words[:5] == ["reconcile", "-C", str(project.root), "apply", str(plan_file)]
    assert as_printed(words).exit_code == 0


def test_apply_of_a_folder_says_to_give_a_plan_file(project: Project) -> None:
    project.plans.mkdir()

    for args in (("apply", str(project.plans)), ("show", str(project.plans))):
        result = project.cli(*args)

        assert result.exit_code == 1
        assert "Traceback" not in result.output
        assert result.exception is None or isinstance(result.exception, SystemExit)
        assert result.stderr.strip() == (
            f"error: {project.plans} is a folder: give a plan file, e.g. {project.plans}/NAME.json"
        )


def test_a_plan_from_another_project_is_refused_as_such(project: Project, tmp_path: Path) -> None:
    other = Project(tmp_path / "other")
    other.profiles.mkdir(parents=True)
    other.write("zed.yaml", "email: zed@example.com\n")
    made = other.cli("plan", "-o", str(other.plans / "zed.json"))
    assert made.exit_code == 0, made.output
    project.write("ann.yaml", "email: ann@example.com\n")

    applied = project.cli("apply", str(other.plans / "zed.json"))

    assert applied.exit_code == 1
    assert "the plan is from another project" in applied.stderr
    assert "none of the keys it writes (zed) is declared here" in applied.stderr
    assert "profiles.d/ changed" not in applied.stderr


def test_ctrl_c_during_teardown_says_how_to_finish_it(project: Project, tmp_path: Path) -> None:
    declare(project, 40)
    with served(tmp_path, latency_ms=5) as sandbox:
        env = env_for(sandbox, project)
        assert project.cli("apply", "--auto-approve", *TENANT, env=env).exit_code == 0
        process = subprocess.Popen(
            [sys.executable, "-m", "reconcile", "-C", str(project.root), "teardown",
             "--auto-approve", *TENANT],
            cwd=REPO, env={**os.environ, **env}, stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while process.poll() is None and time.monotonic() < deadline:
            if any('"ok"' in j.read_text() for j in project.plans.glob("teardown-*.jsonl")):
                process.send_signal(signal.SIGINT)
                break
            time.sleep(0.005)
        _, stderr = process.communicate(timeout=30)

        assert process.returncode == 1, (process.returncode, stderr)
        assert "Traceback" not in stderr
        [journal] = project.plans.glob("teardown-*.journal.jsonl")
        plan_file = journal.with_name(journal.name.replace(".journal.jsonl", ".json"))
        command = (
            f"reconcile -C {project.root} apply --resume {plan_file} --allow-delete --force "
            "--tenant served"
        )
        last = stderr.strip().splitlines()[-1]
        assert (
            last == f"error: interrupted; {journal} records what was done: finish with `{command}`"
        )
        finished = project.cli(*shlex.split(command)[3:], env=env)
        assert finished.exit_code == 0, finished.output
        assert "already done" in finished.stderr
        again = project.cli("teardown", "--auto-approve", *TENANT, env=env)
        assert again.exit_code == 0 and "0 to delete" in again.stdout, again.output


# A Ctrl-C that lands while a callback resolves a future: a moment the test above can reach
# only by chance, chosen here exactly.
CTRL_C_INSIDE_A_CALLBACK = """
import asyncio, signal
from reconcile.project.sync import run_interruptibly

async def work():
    loop = asyncio.get_running_loop()
    answer = loop.create_future()

    def resolve():
        signal.raise_signal(signal.SIGINT)
        answer.set_result("answered")

    loop.call_soon(resolve)
    await answer
    await asyncio.sleep(30)

try:
    run_interruptibly(work())
except KeyboardInterrupt:
    print("interrupted", signal.getsignal(signal.SIGINT) is signal.default_int_handler)
"""


def test_ctrl_c_inside_a_callback_interrupts_without_a_traceback() -> None:
    ran = subprocess.run(
        [sys.executable, "-c", CTRL_C_INSIDE_A_CALLBACK],
        cwd=REPO, capture_output=True, text=True, timeout=30,
    )  # fmt: skip

    assert ran.returncode == 0, ran.stderr
    assert ran.stdout == "interrupted True\n"
    assert ran.stderr == ""


def test_a_token_with_a_trailing_newline_works_and_a_bad_character_is_one_line(
    project: Project, tmp_path: Path
) -> None:
    project.write("ann.yaml", "email: ann@example.com\n")
    with served(tmp_path) as sandbox:
        env = env_for(sandbox, project)

        pasted = project.cli("plan", *TENANT, env={"SERVED_TOKEN": env["SERVED_TOKEN"] + "\n"})
        assert pasted.exit_code == 0, pasted.output

        for bad, what in (
            ("tøken", "the non-ASCII character U+00F8 at position 2"),
            ("to ken", "a space or control character at position 3"),
        ):
            refused = project.cli("plan", *TENANT, env={"SERVED_TOKEN": bad})
            assert refused.exit_code == 1
            assert refused.stderr == (
                f"error: the token in SERVED_TOKEN holds {what}; an API token is printable "
                "ASCII: copy it again\n"
            )


def test_a_token_pasted_into_token_env_is_never_printed(project: Project) -> None:
    token = "eyJhbGciOiJIUzI1NiJ9.c2VjcmV0LXRva2Vu"
    (project.root / "reconcile.toml").write_text(
        f'[tenants.prod]\nurl = "https://api.example.com/api/v3"\ntoken_env = "{token}"\n'
    )

    result = project.cli("plan", "--tenant", "prod")

    assert result.exit_code == 1
    assert token not in result.output
    assert "token_env must be the NAME of the variable holding the token" in result.stderr
    assert len(result.stderr.splitlines()) == 1


def test_help_texts_keep_their_bracketed_words() -> None:
    runner = CliRunner(env={"NO_COLOR": "1", "COLUMNS": "200"})
    shown = runner.invoke(app, ["sandbox", "serve", "--help"]).output
    assert "default to the [sandbox] section of reconcile.toml" in shown
    for path, command in _commands(typer.main.get_command(app), ()):
        texts = [command.help or "", *(getattr(p, "help", None) or "" for p in command.params)]
        words = {w for text in texts for w in re.findall(r"(?<!\\)\[[a-z_.]+\]", text)}
        if words:
            output = runner.invoke(app, [*path, "--help"]).output
            assert all(word in output for word in words), (path, words)


def _commands(
    command: click.Command, path: tuple[str, ...]
) -> Iterator[tuple[tuple[str, ...], click.Command]]:
    yield path, command
    for name, sub in getattr(command, "commands", {}).items():
        yield from _commands(sub, (*path, name))
