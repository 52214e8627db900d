"""Identities in the store: one profile's, the global listing and the lookups by handle and value.

Only identities of visible profiles (not soft-deleted) are listed or found by the global routes.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from reconcile.sandbox.http.pagination import SQLITE_MAX_INT
from reconcile.sandbox.jsonio import fragment
from reconcile.sandbox.problems import Invalid, NotFound
from reconcile.sandbox.storage.profiles import fetch_row
from reconcile.sandbox.storage.render import (
    identities_where,
    identity_json,
    profiles_json,
    rendered,
)

_VISIBLE = "JOIN profiles p ON p.id = i.profile_id AND p.profile_type != 'deleted'"


def find(
    conn: sqlite3.Connection, profile_id: str, handle: str | None, ident: int | None
) -> sqlite3.Row:
    """The profile's identity by ``handle`` or by id (``ident``); 404 for the profile or for it."""
    fetch_row(conn, profile_id)
    if ident is not None and not 0 < ident <= SQLITE_MAX_INT:
        raise NotFound("Identity")
    column, value = ("handle", handle) if ident is None else ("id", ident)
    row = conn.execute(
        f"SELECT * FROM identities WHERE profile_id = ? AND {column} = ?", (profile_id, value)
    ).fetchone()
    if row is None:
        raise NotFound("Identity")
    return row  # type: ignore[no-any-return]


def check_free(conn: sqlite3.Connection, profile_id: str, handle: str, identifier: str) -> None:
    """422 when another profile holds ``handle`` + ``identifier``."""
    clash = conn.execute(
        "SELECT 1 FROM identities WHERE handle = ? AND identifier = ? AND profile_id != ?",
        (handle, identifier, profile_id),
    ).fetchone()
    if clash:
        raise Invalid({"identifier": ["The identity has already been taken."]})


def of_profile(conn: sqlite3.Connection, profile_id: str) -> list[dict[str, Any]]:
    """The profile's identities as JSON, in id order (404 for a missing profile)."""
    fetch_row(conn, profile_id)
    rows = conn.execute(
        "SELECT * FROM identities WHERE profile_id = ? ORDER BY id", (profile_id,)
    ).fetchall()
    return [identity_json(row) for row in rows]


def count(conn: sqlite3.Connection, profile_id: str) -> int:
    held = conn.execute("SELECT count(*) FROM identities WHERE profile_id = ?", (profile_id,))
    return int(held.fetchone()[0])


def has_handle(conn: sqlite3.Connection, profile_id: str, handle: str) -> bool:
    found = conn.execute(
        "SELECT 1 FROM identities WHERE profile_id = ? AND handle = ?", (profile_id, handle)
    ).fetchone()
    return found is not None


def delete(conn: sqlite3.Connection, ident: int) -> None:
    conn.execute("DELETE FROM identities WHERE id = ?", (ident,))


def listed_ids(conn: sqlite3.Connection, handle: str | None) -> list[int]:
    """Ids of the visible profiles' identities (of ``handle`` when given), in id order."""
    where, params = ("WHERE i.handle = ?", (handle,)) if handle else ("", ())
    query = f"SELECT i.id FROM identities i {_VISIBLE} {where} ORDER BY i.id"
    return [row[0] for row in conn.execute(query, params)]


def by_ids(conn: sqlite3.Connection, ids: list[int]) -> list[dict[str, Any]]:
    """The identities ``ids`` as JSON, in id order."""
    return identities_where(conn, f"id IN ({','.join('?' * len(ids))})", ids)


def with_profiles(conn: sqlite3.Connection, chunk: list[int]) -> list[Any]:
    """The identities ``chunk`` (ids in order), each with its ``profile``, encoded one by one:
    the identities are taken from the rendered profiles, which read them anyway."""
    marks = ",".join("?" * len(chunk))
    rows = conn.execute(
        "SELECT * FROM profiles WHERE id IN"
        f" (SELECT profile_id FROM identities WHERE id IN ({marks}))",
        chunk,
    ).fetchall()
    wanted = set(chunk)
    items: dict[int, Any] = {}
    for profile in rendered(conn, rows):
        encoded = fragment(profile)
        for identity in profile["identities"]:
            if identity["id"] in wanted:
                items[identity["id"]] = fragment({**identity, "profile": encoded})
    return [items[i] for i in chunk if i in items]


def held(conn: sqlite3.Connection, handle: str, identifier: str) -> dict[str, Any] | None:
    """The visible identity ``handle`` + ``identifier`` as JSON, or None."""
    row = conn.execute(
        f"SELECT i.* FROM identities i {_VISIBLE} WHERE i.handle = ? AND i.identifier = ?",
        (handle, identifier),
    ).fetchone()
    return None if row is None else identity_json(row)


def profiles_holding(conn: sqlite3.Connection, identifier: str) -> list[dict[str, Any]]:
    """Every visible profile holding ``identifier`` under any handle, in creation order."""
    rows = conn.execute(
        f"SELECT DISTINCT p.* FROM identities i {_VISIBLE} WHERE i.identifier = ? ORDER BY p.seq",
        (identifier,),
    ).fetchall()
    return profiles_json(conn, rows)


def holder(conn: sqlite3.Connection, handle: str, identifier: str) -> str | None:
    """The id of the profile (soft-deleted or not) holding ``handle`` + ``identifier``, or None."""
    row = conn.execute(
        "SELECT profile_id FROM identities WHERE handle = ? AND identifier = ?",
        (handle, identifier),
    ).fetchone()
    return None if row is None else str(row["profile_id"])
