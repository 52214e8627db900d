"""Create-or-update by a match key, shared by sync, batch and CSV import.

Sync matches on email first, then on mobile: a body whose email and mobile belong to two different
profiles is a 422 naming both fields, never a guess. Batch and import match on ``email`` or on the
identifier the item carries for an identity handle.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from reconcile.sandbox import profiles_db
from reconcile.sandbox.problems import Invalid
from reconcile.sandbox.validation import validate_profile

VISIBLE = "profile_type != 'deleted'"


def _by(conn: sqlite3.Connection, column: str, value: Any) -> str | None:
    if not value:
        return None
    row = conn.execute(
        f"SELECT id FROM profiles WHERE {column} = ? AND {VISIBLE}", (value,)
    ).fetchone()
    return None if row is None else str(row["id"])


def _by_identity(conn: sqlite3.Connection, handle: str, identifier: str) -> str | None:
    row = conn.execute(
        f"SELECT p.id FROM identities i JOIN profiles p ON p.id = i.profile_id AND p.{VISIBLE}"
        " WHERE i.handle = ? AND i.identifier = ?",
        (handle, identifier),
    ).fetchone()
    return None if row is None else str(row["id"])


def sync_match(conn: sqlite3.Connection, body: dict[str, Any]) -> str | None:
    """The visible profile the body matches: by email, else by mobile; 422 if they disagree."""
    probe, _ = validate_profile(
        {k: body[k] for k in ("email", "mobile_phone") if k in body}, creating=False
    )
    by_email = _by(conn, "email", probe.get("email"))
    by_mobile = _by(conn, "mobile_phone", probe.get("mobile_phone"))
    if by_email and by_mobile and by_email != by_mobile:
        text = (
            f"The email matches profile {by_email} but the mobile phone matches profile "
            f"{by_mobile}; sync will not choose between them."
        )
        raise Invalid({"email": [text], "mobile_phone": [text]})
    return by_email or by_mobile


def match_key(body: dict[str, Any], criteria: str) -> str | None:
    """What a batch item is matched by: its email, or its identifier for handle ``criteria``."""
    if criteria == "email":
        email = body.get("email")
        return email.strip().lower() if isinstance(email, str) else None
    for identity in body.get("identities") or []:
        if isinstance(identity, dict) and identity.get("handle") == criteria:
            identifier = identity.get("identifier")
            return None if identifier is None else str(identifier).strip()
    return None


def batch_match(conn: sqlite3.Connection, body: dict[str, Any], criteria: str) -> str | None:
    key = match_key(body, criteria)
    if key is None:
        return None
    if criteria == "email":
        return _by(conn, "email", key)
    return _by_identity(conn, criteria, key)


def upsert(conn: sqlite3.Connection, body: dict[str, Any], match: str | None) -> tuple[str, bool]:
    """Update ``match`` with ``body``, or create a profile; returns (id, created)."""
    if match is not None:
        clean, errors = validate_profile(body, creating=False)
        profiles_db.update_profile(conn, match, clean, errors)
        return match, False
    clean, errors = validate_profile(body, creating=True)
    return profiles_db.create_profile(conn, clean, errors), True
