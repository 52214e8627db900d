"""Errors are one tree, caught once, and drawn as one line: no traceback from any command."""

from __future__ import annotations

import ast
import socket
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from reconcile import errors
from reconcile.errors import InvalidValue, ReconcileError
from reconcile.model.normalize import e164_details, is_mobile, normalize_email, normalize_phone
from tests.conftest import REPO, Project

PACKAGE = REPO / "reconcile"


def exception_classes(path: Path) -> Iterator[str]:
    """Classes in ``path`` that derive, by name, from an exception."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ClassDef):
            bases = [ast.unparse(base) for base in node.bases]
            if any(base.endswith(("Error", "Exception", "Problem")) for base in bases):
                yield node.name


def test_every_error_class_of_the_tool_lives_in_errors_py() -> None:
    # The sandbox imitates Omneo and imports nothing of the tool: its errors are its own, and are
    # translated where the tool reaches it (tests below).
    strays = [
        f"{path.relative_to(REPO)}: {name}"
        for path in sorted(PACKAGE.rglob("*.py"))
        if path.name != "errors.py" and "sandbox" not in path.relative_to(PACKAGE).parts
        for name in exception_classes(path)
    ]
    assert strays == []


def test_every_error_class_is_in_the_tree_and_its_drawing() -> None:
    tree = errors.__doc__ or ""
    classes = [
        value
        for value in vars(errors).values()
        if isinstance(value, type) and issubclass(value, Exception)
    ]
    assert all(issubclass(cls, ReconcileError) for cls in classes)
    drawn = [name for name in tree.split() if name.isidentifier()]
    assert [cls.__name__ for cls in classes if cls.__name__ not in drawn] == []
    assert {cls.exit_code for cls in classes} == {1}


@pytest.mark.parametrize(
    "call",
    [
        lambda: e164_details("not a number"),
        lambda: is_mobile(""),
        lambda: normalize_phone("0412", region="XX"),
        lambda: normalize_email("no-at-sign"),
    ],
)
def test_normalisation_raises_our_error_not_the_library_s(call: object) -> None:
    with pytest.raises(InvalidValue) as raised:
        call()  # type: ignore[operator]
    assert raised.value.__cause__ is None and "phonenumbers" not in repr(raised.value)


def newer_database(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA user_version = 999")
    return path


def test_sandbox_serve_on_a_busy_port_is_one_line(project: Project) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        served = project.cli("sandbox", "serve", "--port", str(port))

    assert served.exit_code == 1
    assert served.stderr == (
        f"error: cannot listen on 127.0.0.1:{port}: Address already in use; "
        "is another sandbox running there? Choose another --port\n"
    )


def test_sandbox_serve_of_a_newer_database_is_one_line(project: Project) -> None:
    db = newer_database(project.root / "newer.db")

    served = project.cli("sandbox", "serve", "--port", "0", "--db", str(db))

    assert served.exit_code == 1
    assert served.stderr == (
        f"error: {db}: database schema 999 is newer than this sandbox "
        f"({_schema_version()}); upgrade reconcile, or pass --db FILE\n"
    )


def test_the_local_tenant_with_a_newer_database_is_one_line(project: Project) -> None:
    newer_database(project.root / ".reconcile" / "sandbox.db")

    planned = project.cli("plan")

    assert planned.exit_code == 1
    assert planned.stderr.count("\n") == 1
    assert planned.stderr.startswith("error: ") and "is newer than this sandbox" in planned.stderr
    assert "Traceback" not in planned.output


def _schema_version() -> int:
    from reconcile.sandbox.storage.schema import SCHEMA_VERSION

    return SCHEMA_VERSION
