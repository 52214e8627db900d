"""The sandbox is laid out like a service: HTTP layer, routes, storage, rules and schemas, with
every SQL statement in ``storage`` (see ``docs/sandbox.md``, "Layout")."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import reconcile.sandbox

SANDBOX = Path(reconcile.sandbox.__file__).parent
SUB_PACKAGES = ("http", "routes", "storage", "rules", "schemas")
# Modules outside storage that may not touch the database; ``rules`` and ``schemas`` are pure too.
SQL_FREE = ("http", "routes", "rules", "schemas")
# An SQL statement as it opens: a keyword, then what a statement has next (``SELECT x``).
_SQL = re.compile(
    r"\b(SELECT\s+[\w*(]|INSERT\s+(OR\s+\w+\s+)?INTO\b|UPDATE\s+\w+\s+SET\b|DELETE\s+FROM\b"
    r"|\bFROM\s+\w+\s+(WHERE|JOIN|ORDER)\b|\bJOIN\s+\w+\s+\w+\s+ON\b|PRAGMA\s+\w+)"
)


def _violations(path: Path, root: Path) -> list[str]:
    """``file:line what`` for each ``sqlite3`` import and each string that holds SQL."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            names = [node.module or ""]
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            names = ["SQL"] if _SQL.search(node.value) else []
        else:
            continue
        found += [
            (node.lineno, name)
            for name in names
            if name == "SQL" or name.split(".")[0] == "sqlite3"
        ]
    return [f"{path.relative_to(root)}:{line} {name}" for line, name in sorted(found)]


def _sql_free_modules(root: Path) -> list[Path]:
    return sorted(path for package in SQL_FREE for path in (root / package).rglob("*.py"))


def test_the_sandbox_has_its_sub_packages() -> None:
    for package in SUB_PACKAGES:
        assert (SANDBOX / package / "__init__.py").is_file(), package
    flat = sorted(path.name for path in SANDBOX.glob("*.py"))
    assert flat == ["__init__.py", "config.py", "jsonio.py", "problems.py"]


def test_no_route_or_http_module_imports_sqlite3_or_holds_sql() -> None:
    modules = _sql_free_modules(SANDBOX)
    assert len(modules) > 20  # the walk found the packages
    assert [hit for path in modules for hit in _violations(path, SANDBOX)] == []


def test_storage_is_where_the_sql_is() -> None:
    storage = sorted((SANDBOX / "storage").glob("*.py"))
    assert sum(bool(_violations(path, SANDBOX)) for path in storage) >= 8


def test_the_check_sees_sqlite3_and_sql(tmp_path: Path) -> None:
    probe = tmp_path / "routes" / "probe.py"
    probe.parent.mkdir()
    probe.write_text(
        "import sqlite3\n"
        "from sqlite3 import Row\n"
        'A = "SELECT id FROM profiles WHERE x = ?"\n'
        'B = f"UPDATE profiles SET doc = ? WHERE id = {1}"\n'
        'C = "DELETE FROM identities"\n'
        'D = "INSERT OR IGNORE INTO t (a) VALUES (?)"\n'
        'E = "The profile was selected from the list."\n'
        'F = "Update the profile, then delete from the form."\n',
        encoding="utf-8",
    )
    assert _violations(probe, tmp_path) == [
        "routes/probe.py:1 sqlite3",
        "routes/probe.py:2 sqlite3",
        "routes/probe.py:3 SQL",
        "routes/probe.py:4 SQL",
        "routes/probe.py:5 SQL",
        "routes/probe.py:6 SQL",
    ]
