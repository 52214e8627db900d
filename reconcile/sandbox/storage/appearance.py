"""A profile's appearance (``attributes.appearance``): kept in its stored document, merged key
by key."""

from __future__ import annotations

import sqlite3
from typing import Any

from reconcile.sandbox.jsonio import dumps, stored_object
from reconcile.sandbox.storage.profiles import fetch_row
from reconcile.sandbox.storage.shapes import appearance_json


def read(conn: sqlite3.Connection, profile_id: str) -> dict[str, Any]:
    """The profile's appearance, every key present (404 for a missing profile)."""
    row = fetch_row(conn, profile_id)
    return appearance_json(profile_id, stored_object(row["doc"]), row["created_at"])


def merge(conn: sqlite3.Connection, profile_id: str, values: dict[str, Any], stamp: str) -> None:
    """Set the given keys (``null`` clears one); the others are kept."""
    doc = stored_object(fetch_row(conn, profile_id)["doc"])
    held = doc.get("appearance")
    doc["appearance"] = {**(held if isinstance(held, dict) else {}), **values}
    doc["appearance_updated_at"] = stamp
    conn.execute(
        "UPDATE profiles SET doc = ?, updated_at = ? WHERE id = ?",
        (dumps(doc), stamp, profile_id),
    )
