"""Custom attributes in the store, the cross-profile search by attribute, and the profile type."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Any

from reconcile.sandbox.problems import NotFound
from reconcile.sandbox.storage.profiles import fetch_row
from reconcile.sandbox.storage.render import custom_attribute_json, encoded_profiles

# A stored value SQLite cannot read (a NaN written by an older sandbox) matches nothing, rather
# than failing the search.
_VALUE = "CASE WHEN json_valid(c.value) THEN json_extract(c.value, '$') END"


@dataclass(frozen=True)
class Condition:
    """One ``attributes[i]`` condition of the search: the attribute, and the values it may hold
    (any value when empty)."""

    namespace: str
    handle: str
    values: list[str]


def custom_row(
    conn: sqlite3.Connection, profile_id: str, namespace: str, handle: str
) -> sqlite3.Row:
    """The profile's attribute ``namespace:handle``; 404 for the profile or for it."""
    fetch_row(conn, profile_id)
    row = conn.execute(
        "SELECT * FROM custom_attributes WHERE profile_id = ? AND namespace = ? AND handle = ?",
        (profile_id, namespace, handle),
    ).fetchone()
    if row is None:
        raise NotFound("Custom attribute")
    return row  # type: ignore[no-any-return]


def of_profile(conn: sqlite3.Connection, profile_id: str) -> list[dict[str, Any]]:
    """The profile's custom attributes as JSON, in id order (404 for a missing profile)."""
    fetch_row(conn, profile_id)
    rows = conn.execute(
        "SELECT * FROM custom_attributes WHERE profile_id = ? ORDER BY id", (profile_id,)
    ).fetchall()
    return [custom_attribute_json(row) for row in rows]


def items_by_profile(
    conn: sqlite3.Connection, profile_ids: list[str]
) -> dict[str, list[dict[str, Any]]]:
    """The custom attributes of these profiles as items, by profile, in id order (one query)."""
    found: dict[str, list[dict[str, Any]]] = {}
    for start in range(0, len(profile_ids), 500):
        chunk = profile_ids[start : start + 500]
        rows = conn.execute(
            f"SELECT * FROM custom_attributes WHERE profile_id IN ({','.join('?' * len(chunk))})"
            " ORDER BY id",
            chunk,
        ).fetchall()
        for row in rows:
            found.setdefault(row["profile_id"], []).append(custom_attribute_json(row))
    return found


def delete(conn: sqlite3.Connection, ident: int) -> None:
    conn.execute("DELETE FROM custom_attributes WHERE id = ?", (ident,))


def set_profile_type(
    conn: sqlite3.Connection, profile_id: str, profile_type: str, stamp: str
) -> None:
    conn.execute(
        "UPDATE profiles SET profile_type = ?, updated_at = ? WHERE id = ?",
        (profile_type, stamp, profile_id),
    )


def matching_profiles(
    conn: sqlite3.Connection, conditions: list[Condition], size: int, offset: int
) -> tuple[int, list[Any]]:
    """How many visible profiles meet every condition, and a page of them (encoded, in creation
    order)."""
    where, params = ["p.profile_type != 'deleted'"], []
    for condition in conditions:
        clause = (
            "SELECT 1 FROM custom_attributes c"
            " WHERE c.profile_id = p.id AND c.namespace = ? AND c.handle = ?"
        )
        params += [condition.namespace, condition.handle]
        if condition.values:
            texts = condition.values
            clause += f" AND (CAST({_VALUE} AS TEXT) IN ({','.join('?' * len(texts))}))"
            params += texts
        where.append(f"EXISTS ({clause})")
    sql_where = " AND ".join(where)
    total = conn.execute(f"SELECT count(*) FROM profiles p WHERE {sql_where}", params).fetchone()[0]
    rows = conn.execute(
        f"SELECT p.* FROM profiles p WHERE {sql_where} ORDER BY p.seq LIMIT ? OFFSET ?",
        (*params, size, offset),
    ).fetchall()
    return int(total), encoded_profiles(conn, rows)
