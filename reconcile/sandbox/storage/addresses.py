"""A profile's addresses in the store: they live in its stored document, read and written whole.

Ids are numbers unique within their profile; the routes edit one address at a time.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from reconcile.sandbox.jsonio import dumps, stored_object
from reconcile.sandbox.storage.profiles import fetch_row
from reconcile.sandbox.storage.shapes import address_json


def load(conn: sqlite3.Connection, profile_id: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The profile's stored document and its addresses, each in its documented shape (404 for a
    missing profile)."""
    doc = stored_object(fetch_row(conn, profile_id)["doc"])
    addresses = doc.get("addresses")
    items = addresses if isinstance(addresses, list) else []
    return doc, [address_json(item) for item in items if isinstance(item, dict)]


def save(
    conn: sqlite3.Connection,
    profile_id: str,
    doc: dict[str, Any],
    items: list[dict[str, Any]],
    stamp: str,
) -> None:
    """Store ``items`` as the profile's addresses (``doc`` is its document, from :func:`load`)."""
    doc["addresses"] = items
    conn.execute(
        "UPDATE profiles SET doc = ?, updated_at = ? WHERE id = ?",
        (dumps(doc), stamp, profile_id),
    )
