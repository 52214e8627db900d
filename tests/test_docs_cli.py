"""The docs keep up with the code: every command and option is documented, every link resolves,
the index reaches every page, and every docstring example runs."""

from __future__ import annotations

import doctest
import importlib
import pkgutil
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer

import reconcile
from reconcile.cli import app
from tests.conftest import REPO

DOCS = REPO / "docs"
PAGES = [REPO / "README.md", *sorted(DOCS.glob("*.md"))]


def commands(group: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[str, Any]]:
    """Every leaf command as ``reconcile NAME [SUBNAME]``, with its click command."""
    for name, command in sorted(getattr(group, "commands", {}).items()):
        if getattr(command, "commands", None):
            yield from commands(command, (*path, name))
        else:
            yield " ".join(("reconcile", *path, name)), command


def spelled(command: Any) -> set[str]:
    """How the command's options and arguments are written: ``--out``, ``-o``, ``PLAN_FILE``."""
    names: set[str] = set()
    for param in command.params:
        if param.param_type_name == "argument":
            names.add(param.name.upper())
        else:
            names.update(o for o in (*param.opts, *param.secondary_opts) if o != "--help")
    return names


def documented_sections() -> dict[str, set[str]]:
    """``docs/commands.md``: each ``## reconcile ...`` section's first-column names."""
    text = (DOCS / "commands.md").read_text(encoding="utf-8")
    found: dict[str, set[str]] = {}
    for section in text.split("\n## ")[1:]:
        heading, _, body = section.partition("\n")
        rows = re.findall(r"^\| ([^|]+) \|", body, flags=re.MULTILINE)
        found[heading.strip()] = {
            name for row in rows for name in re.findall(r"`([^`]+)`", row) if row != "option"
        }
    return found


CLI = typer.main.get_command(app)


def test_every_command_and_option_is_in_the_command_reference() -> None:
    documented = documented_sections()
    actual = {name: spelled(command) for name, command in commands(CLI)}
    assert sorted(documented) == sorted(actual)  # no command missing, none stale
    for name, options in actual.items():
        assert (name, sorted(options - documented[name])) == (name, [])  # undocumented
        assert (name, sorted(documented[name] - options)) == (name, [])  # gone from the CLI


def test_the_global_options_are_documented() -> None:
    text = (DOCS / "commands.md").read_text(encoding="utf-8").split("\n## ")[0]
    assert spelled(CLI) - set(re.findall(r"`([^`]+)`", text)) == set()


def test_the_readme_lists_every_command() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    listed = readme.split("## Commands", 1)[1].split("\n## ", 1)[0]
    assert [name for name, _ in commands(CLI) if f"`{name}" not in listed] == []


def _anchors(page: Path) -> set[str]:
    anchors, fenced = set(), False
    for line in page.read_text(encoding="utf-8").splitlines():
        fenced ^= line.startswith("```")
        if not fenced and line.startswith("#"):
            title = re.sub(r"[^\w\- ]", "", line.lstrip("#").strip().lower())
            anchors.add(title.replace(" ", "-"))
    return anchors


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_every_link_of_a_page_resolves(page: Path) -> None:
    broken = []
    for link in re.findall(r"\]\(([^)\s]+)\)", page.read_text(encoding="utf-8")):
        if link.startswith(("http://", "https://", "mailto:")):
            continue
        path, _, anchor = link.partition("#")
        target = (page.parent / path) if path else page
        if not target.exists() or (anchor and anchor not in _anchors(target)):
            broken.append(link)
    assert broken == []


def test_the_index_reaches_every_page() -> None:
    index = (DOCS / "index.md").read_text(encoding="utf-8")
    pages = {p.name for p in DOCS.glob("*.md")} - {"index.md"}
    assert sorted(p for p in pages if f"]({p}" not in index) == []
    assert "docs/index.md" in (REPO / "README.md").read_text(encoding="utf-8")


def test_the_readme_is_a_doorway() -> None:
    assert len((REPO / "README.md").read_text(encoding="utf-8")) <= 15_000


MODULES = sorted(
    info.name
    for info in pkgutil.walk_packages(reconcile.__path__, "reconcile.")
    if not info.name.endswith("__main__")  # importing it runs the CLI
)


@pytest.mark.parametrize("name", MODULES)
def test_the_docstring_examples_run(name: str) -> None:
    """Examples marked ``# doctest: +SKIP`` need a tenant or a file; the others run."""
    module = importlib.import_module(name)
    finder = doctest.DocTestFinder(exclude_empty=True)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    report: list[str] = []
    for test in finder.find(module, name):
        runner.run(test, out=report.append)
    assert "".join(report) == ""
