"""Create-or-update by a match key, shared by sync, batch and CSV import.

Sync matches on email first, then on mobile: a body whose email and mobile belong to two different
profiles is a 422 naming both fields, never a guess. Batch and import match on ``email`` or on the
identifier the item carries for an identity handle.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Any

from reconcile.sandbox.problems import Invalid
from reconcile.sandbox.rules.errorbag import Errors
from reconcile.sandbox.rules.messages import message
from reconcile.sandbox.rules.validation import validate_profile
from reconcile.sandbox.storage import profiles

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


@dataclass(frozen=True)
class Prepared:
    """A body validated as an update, before the store's lock is taken. Validating it as a
    create adds only one rule, that the email is present, so the choice can wait for the match."""

    clean: dict[str, Any]
    errors: dict[str, list[str]]
    has_email: bool


def prepare(body: dict[str, Any]) -> Prepared:
    clean, errors = validate_profile(body, creating=False)
    return Prepared(clean, errors.by_field, "email" in body)


def sync_match(conn: sqlite3.Connection, prepared: Prepared) -> str | None:
    """The visible profile the body matches: by email, else by mobile; 422 if they disagree."""
    by_email = _by(conn, "email", prepared.clean.get("email"))
    by_mobile = _by(conn, "mobile_phone", prepared.clean.get("mobile_phone"))
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


def upsert(conn: sqlite3.Connection, prepared: Prepared, match: str | None) -> tuple[str, bool]:
    """Update ``match`` with the prepared body, or create a profile; returns (id, created)."""
    clean = dict(prepared.clean)
    if match is not None:
        errors = Errors({field: list(texts) for field, texts in prepared.errors.items()})
        profiles.update_profile(conn, match, clean, errors)
        return match, False
    missing = {} if prepared.has_email else {"email": [message("email", "required")]}
    errors = Errors({**missing, **{field: list(texts) for field, texts in prepared.errors.items()}})
    return profiles.create_profile(conn, clean, errors), True
