"""docs/library.md is held to the code: its examples run, in order, in a copy of the example
project, and it documents a method for every command of the CLI."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

import reconcile
from tests.conftest import REPO
from tests.test_library_face import METHODS, NOT_A_PROJECT_COMMAND, cli_commands

PAGE = REPO / "docs" / "library.md"


def examples() -> list[str]:
    return re.findall(r"^```python\n(.*?)^```", PAGE.read_text(encoding="utf-8"), re.S | re.M)


def test_the_examples_run_in_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    shutil.copytree(REPO / "profiles.d", tmp_path / "profiles.d")
    monkeypatch.chdir(tmp_path)
    for variable in ("OMNEO_URL", "OMNEO_TOKEN", "RECONCILE_PLAN_KEY"):
        monkeypatch.delenv(variable, raising=False)
    namespace: dict[str, object] = {}

    for number, example in enumerate(examples(), 1):
        exec(compile(example, f"docs/library.md, example {number}", "exec"), namespace)

    printed = capsys.readouterr().out
    assert "13 to create" in printed  # the report of the first plan
    assert "profiles.d/ changed since the plan was made" in printed
    assert "unknown format 'yaml'; use text, markdown, json, html" in printed
    assert len(examples()) >= 6


def test_every_command_has_its_method_on_the_page() -> None:
    text = PAGE.read_text(encoding="utf-8")
    rows = dict(re.findall(r"^\| `(reconcile [a-z ]+)` \| `([a-z_]+)\(", text, re.M))
    assert sorted(rows) == sorted(METHODS)
    assert rows == METHODS
    assert set(cli_commands()) == {*METHODS, *NOT_A_PROJECT_COMMAND}
    assert all(callable(getattr(reconcile.Project, method)) for method in rows.values())
