"""Profile writes and reads inside a store transaction: the rules that need stored data.

Each function takes an open connection (from :meth:`Store.write` or :meth:`Store.read`), so a caller
can compose several in one transaction (sync and batch do).
"""

from __future__ import annotations

import sqlite3
import uuid
from typing import Any

from reconcile.sandbox.jsonio import dumps, stored_object
from reconcile.sandbox.problems import Invalid, NotFound
from reconcile.sandbox.rules.errorbag import Errors
from reconcile.sandbox.rules.limits import MAX_CUSTOM_ATTRIBUTES, MAX_IDENTITIES, count_message
from reconcile.sandbox.rules.messages import message
from reconcile.sandbox.rules.validation import birth_date_errors
from reconcile.sandbox.rules.values import now
from reconcile.sandbox.storage.dates import upsert_date
from reconcile.sandbox.storage.render import DOC_FIELDS, mobile_parts, profiles_json
from reconcile.sandbox.storage.store import Store

UNKNOWN = "Unknown"
HIDDEN_TYPE = "deleted"


def fetch_row(conn: sqlite3.Connection, profile_id: str, *, deleted: bool = False) -> sqlite3.Row:
    """The stored row; soft-deleted profiles are 404 unless ``deleted``."""
    row = conn.execute("SELECT * FROM profiles WHERE id = ?", (profile_id,)).fetchone()
    if row is None or (row["profile_type"] == HIDDEN_TYPE and not deleted):
        raise NotFound("Profile")
    return row  # type: ignore[no-any-return]


def ensure_exists(store: Store, profile_id: str, *, deleted: bool = False) -> None:
    """404 before 422: Laravel resolves a route's model before it validates the body."""
    with store.read() as conn:
        fetch_row(conn, profile_id, deleted=deleted)


def get_profile(
    conn: sqlite3.Connection, profile_id: str, *, deleted: bool = False
) -> dict[str, Any]:
    return profiles_json(conn, [fetch_row(conn, profile_id, deleted=deleted)])[0]


def uniqueness_errors(
    conn: sqlite3.Connection, clean: dict[str, Any], errors: Errors, exclude: str | None
) -> None:
    """Add the uniqueness violations of ``clean`` against every other stored profile."""
    other = exclude or ""
    email = clean.get("email")
    if (
        email
        and conn.execute(
            "SELECT 1 FROM profiles WHERE email = ? AND id != ?", (email, other)
        ).fetchone()
    ):
        errors.add("email", message("email", "unique"))
    mobile = clean.get("mobile_phone")
    if (
        mobile
        and conn.execute(
            "SELECT 1 FROM profiles WHERE mobile_phone = ? AND id != ?", (mobile, other)
        ).fetchone()
    ):
        errors.add("mobile_phone", message("mobile_phone", "unique"))
    for index, identity in enumerate(clean.get("identities") or []):
        if conn.execute(
            "SELECT 1 FROM identities WHERE handle = ? AND identifier = ? AND profile_id != ?",
            (identity["handle"], identity["identifier"], other),
        ).fetchone():
            errors.add(
                f"identities.{index}.identifier", message("identities.*.identifier", "unique")
            )


def capacity_errors(
    conn: sqlite3.Connection, profile_id: str, clean: dict[str, Any], errors: Errors
) -> None:
    """Identities and custom attributes are upserted, so an update may add to what is held: the
    profile's total stays within the limits (a list replaced whole was checked by validation)."""
    parts = (
        ("identities", "handle", MAX_IDENTITIES, lambda item: (item["handle"],)),
        ("custom_attributes", "namespace, handle", MAX_CUSTOM_ATTRIBUTES,
         lambda item: (item["namespace"], item["handle"])),
    )  # fmt: skip
    for table, columns, maximum, key in parts:
        if not clean.get(table):
            continue
        rows = conn.execute(f"SELECT {columns} FROM {table} WHERE profile_id = ?", (profile_id,))
        held = {tuple(row) for row in rows}
        if len(held | {key(item) for item in clean[table]}) > maximum:
            errors.add(table, count_message(table, maximum))


def create_profile(conn: sqlite3.Connection, clean: dict[str, Any], errors: Errors) -> str:
    """Insert a validated profile; raise 422 with every error (format and uniqueness) at once."""
    birth_date_errors(clean, errors)
    uniqueness_errors(conn, clean, errors, None)
    if errors:
        raise Invalid(errors.by_field)
    profile_id = str(uuid.uuid4())
    stamp = now()
    doc = {name: clean.get(name) for name in DOC_FIELDS}
    doc.update(
        mobile_parts=mobile_parts(clean["mobile_phone"]) if clean.get("mobile_phone") else None,
        tags=clean.get("tags", []),
        comms=clean.get("comms", {}),
        addresses=_numbered(clean.get("addresses", [])),
        comms_updated_at=stamp if clean.get("comms") else None,
    )
    conn.execute(
        "INSERT INTO profiles (id, email, mobile_phone, first_name, last_name, profile_type,"
        " created_at, updated_at, doc) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            profile_id,
            clean["email"],
            clean.get("mobile_phone"),
            clean.get("first_name") or UNKNOWN,
            clean.get("last_name") or UNKNOWN,
            clean.get("profile_type", "active"),
            stamp,
            stamp,
            dumps(doc),
        ),
    )
    _write_related(conn, profile_id, clean, stamp)
    return profile_id


def update_profile(
    conn: sqlite3.Connection, profile_id: str, clean: dict[str, Any], errors: Errors
) -> None:
    """Partial update: given fields replace (``tags``, ``addresses`` whole), maps merge per key."""
    row = fetch_row(conn, profile_id)
    doc = stored_object(row["doc"])
    birth_date_errors({name: clean.get(name, doc.get(name)) for name in DOC_FIELDS}, errors)
    uniqueness_errors(conn, clean, errors, profile_id)
    capacity_errors(conn, profile_id, clean, errors)
    if errors:
        raise Invalid(errors.by_field)
    stamp = now()
    doc.update({name: clean[name] for name in DOC_FIELDS if name in clean})
    if "mobile_phone" in clean:
        doc["mobile_parts"] = mobile_parts(clean["mobile_phone"]) if clean["mobile_phone"] else None
    if "tags" in clean:
        doc["tags"] = clean["tags"]
    if "addresses" in clean:
        doc["addresses"] = _numbered(clean["addresses"])
    if clean.get("comms"):
        doc["comms"] = {**doc.get("comms", {}), **clean["comms"]}
        doc["comms_updated_at"] = stamp
    conn.execute(
        "UPDATE profiles SET email = ?, mobile_phone = ?, first_name = ?, last_name = ?,"
        " profile_type = ?, updated_at = ?, doc = ? WHERE id = ?",
        (
            clean.get("email", row["email"]),
            clean.get("mobile_phone", row["mobile_phone"]),
            _name(clean, "first_name", row),
            _name(clean, "last_name", row),
            clean.get("profile_type", row["profile_type"]),
            stamp,
            dumps(doc),
            profile_id,
        ),
    )
    _write_related(conn, profile_id, clean, stamp)


def _name(clean: dict[str, Any], name: str, row: sqlite3.Row) -> str:
    if name not in clean:
        return str(row[name])
    return str(clean[name] or UNKNOWN)


def _numbered(addresses: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{**address, "id": index} for index, address in enumerate(addresses, start=1)]


def _write_related(
    conn: sqlite3.Connection, profile_id: str, clean: dict[str, Any], stamp: str
) -> None:
    for identity in clean.get("identities") or []:
        upsert_identity(conn, profile_id, identity, stamp)
    for item in clean.get("custom_attributes") or []:
        upsert_custom(conn, profile_id, item["namespace"], item["handle"], item, stamp)
    for item in clean.get("dates") or []:
        upsert_date(conn, profile_id, item, stamp)


def upsert_identity(
    conn: sqlite3.Connection, profile_id: str, identity: dict[str, Any], stamp: str
) -> int:
    """Set the profile's identity of ``handle`` (one per handle per profile); return its id."""
    found = conn.execute(
        "SELECT id FROM identities WHERE profile_id = ? AND handle = ?",
        (profile_id, identity["handle"]),
    ).fetchone()
    if identity.get("is_primary"):
        conn.execute("UPDATE identities SET is_primary = 0 WHERE profile_id = ?", (profile_id,))
    if found is None:
        cursor = conn.execute(
            "INSERT INTO identities (profile_id, handle, identifier, is_primary, is_active,"
            " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                profile_id,
                identity["handle"],
                identity["identifier"],
                int(identity.get("is_primary", False)),
                int(identity.get("is_active", True)),
                stamp,
                stamp,
            ),
        )
        return int(cursor.lastrowid or 0)
    sets = ["identifier = ?", "updated_at = ?"]
    values: list[Any] = [identity["identifier"], stamp]
    for flag in ("is_primary", "is_active"):
        if flag in identity:
            sets.append(f"{flag} = ?")
            values.append(int(identity[flag]))
    conn.execute(f"UPDATE identities SET {', '.join(sets)} WHERE id = ?", (*values, found["id"]))
    return int(found["id"])


def upsert_custom(
    conn: sqlite3.Connection,
    profile_id: str,
    namespace: str,
    handle: str,
    item: dict[str, Any],
    stamp: str,
) -> None:
    conn.execute(
        "INSERT INTO custom_attributes (profile_id, namespace, handle, type, value, created_at,"
        " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (profile_id, namespace, handle)"
        " DO UPDATE SET type = excluded.type, value = excluded.value,"
        " updated_at = excluded.updated_at",
        (profile_id, namespace, handle, item["type"], dumps(item["value"]), stamp, stamp),
    )


def custom_count(
    conn: sqlite3.Connection, profile_id: str, adding: tuple[str, str] | None = None
) -> int:
    """How many custom attributes the profile holds, counting ``adding`` (namespace, handle)."""
    held = conn.execute(
        "SELECT count(*), sum(namespace = ? AND handle = ?) FROM custom_attributes"
        " WHERE profile_id = ?",
        (*(adding or ("", "")), profile_id),
    ).fetchone()
    return int(held[0]) + (1 if adding and not held[1] else 0)


def touch(conn: sqlite3.Connection, profile_id: str) -> None:
    conn.execute("UPDATE profiles SET updated_at = ? WHERE id = ?", (now(), profile_id))


def soft_delete(conn: sqlite3.Connection, profile_id: str) -> None:
    fetch_row(conn, profile_id)
    conn.execute(
        "UPDATE profiles SET profile_type = ?, updated_at = ? WHERE id = ?",
        (HIDDEN_TYPE, now(), profile_id),
    )


def purge(conn: sqlite3.Connection, profile_id: str) -> None:
    """Erase the profile and everything linked to it; soft-deleted profiles can be purged too."""
    fetch_row(conn, profile_id, deleted=True)
    conn.execute("DELETE FROM profiles WHERE id = ?", (profile_id,))


def availability(conn: sqlite3.Connection, column: str, value: str) -> dict[str, Any]:
    """Whether ``value`` of ``column`` (``email`` or ``mobile_phone``) is free, and who holds it:
    a soft-deleted holder is not named, but the value stays taken."""
    row = conn.execute(
        f"SELECT id, first_name, last_name, profile_type FROM profiles WHERE {column} = ?",
        (value,),
    ).fetchone()
    holder = None
    if row is not None and row["profile_type"] != HIDDEN_TYPE:
        holder = {"id": row["id"], "full_name": f"{row['first_name']} {row['last_name']}"}
    return {"available": row is None, "profile": holder}
