"""Profile dates in the store: upsert by handle and relationship, list, delete.

A date is identified on its profile by ``handle`` and ``relationship`` (what the SDK's tests rely
on): an input with the handle and relationship of a stored date updates the fields it gives; any
other input, and every input without a handle, adds a date.
"""

from __future__ import annotations

import re
import sqlite3
from typing import Any

from reconcile.sandbox.jsonio import dumps
from reconcile.sandbox.rules.vocabulary import DATE_TEXT_FIELDS

_COLUMNS = ("date", "is_recurring", "meta", *DATE_TEXT_FIELDS)
_ID = re.compile(r"^[0-9]{1,18}$")  # anything else names no date (and fits SQLite's integers)


def upsert_date(conn: sqlite3.Connection, profile_id: str, item: dict[str, Any], stamp: str) -> int:
    """Store one validated input (see :mod:`~reconcile.sandbox.rules.dates`); return its id."""
    found = _same_key(conn, profile_id, item)
    given = {name: _column(name, item[name]) for name in _COLUMNS if name in item}
    if found is None:
        names = ", ".join(given)
        cursor = conn.execute(
            f"INSERT INTO dates (profile_id, {names}, created_at, updated_at)"
            f" VALUES (?, {', '.join('?' * len(given))}, ?, ?)",
            (profile_id, *given.values(), stamp, stamp),
        )
        return int(cursor.lastrowid or 0)
    sets = ", ".join(f"{name} = ?" for name in given)
    conn.execute(
        f"UPDATE dates SET {sets}, updated_at = ? WHERE id = ?", (*given.values(), stamp, found)
    )
    return found


def _same_key(conn: sqlite3.Connection, profile_id: str, item: dict[str, Any]) -> int | None:
    if not item.get("handle"):
        return None
    row = conn.execute(
        "SELECT id FROM dates WHERE profile_id = ? AND handle = ?"
        " AND coalesce(relationship, '') = ?",
        (profile_id, item["handle"], item.get("relationship") or ""),
    ).fetchone()
    return None if row is None else int(row["id"])


def _column(name: str, value: Any) -> Any:
    if name == "meta":
        return None if value is None else dumps(value)
    if name == "is_recurring":
        return int(value)
    return value


def dates_of(conn: sqlite3.Connection, profile_id: str) -> list[sqlite3.Row]:
    return conn.execute(
        "SELECT * FROM dates WHERE profile_id = ? ORDER BY id", (profile_id,)
    ).fetchall()


def date_row(conn: sqlite3.Connection, date_id: int) -> sqlite3.Row:
    row: sqlite3.Row = conn.execute("SELECT * FROM dates WHERE id = ?", (date_id,)).fetchone()
    return row


def delete_date(conn: sqlite3.Connection, profile_id: str, date_id: str) -> bool:
    """Remove the profile's date ``date_id``; False when the profile has no such date."""
    if not _ID.match(date_id):
        return False
    cursor = conn.execute(
        "DELETE FROM dates WHERE id = ? AND profile_id = ?", (int(date_id), profile_id)
    )
    return cursor.rowcount > 0
