"""The sandbox's SQLite schema and its migrations (``PRAGMA user_version`` is the schema version).

Uniqueness that Omneo promises is enforced by UNIQUE indexes, so it holds under concurrent writers
(several requests, or several processes sharing one file), not only by checks in Python.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

MIGRATIONS: tuple[str, ...] = (
    # 1: profiles, identities, custom attributes
    """
    CREATE TABLE profiles (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        email TEXT NOT NULL,
        mobile_phone TEXT,
        first_name TEXT NOT NULL,
        last_name TEXT NOT NULL,
        profile_type TEXT NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        doc TEXT NOT NULL
    );
    CREATE UNIQUE INDEX profiles_email ON profiles (email);
    CREATE UNIQUE INDEX profiles_mobile ON profiles (mobile_phone) WHERE mobile_phone IS NOT NULL;
    CREATE INDEX profiles_type ON profiles (profile_type);
    CREATE TABLE identities (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        profile_id TEXT NOT NULL REFERENCES profiles (id) ON DELETE CASCADE,
        handle TEXT NOT NULL,
        identifier TEXT NOT NULL,
        is_primary INTEGER NOT NULL DEFAULT 0,
        is_active INTEGER NOT NULL DEFAULT 1,
        merged_from TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE UNIQUE INDEX identities_pair ON identities (handle, identifier);
    CREATE UNIQUE INDEX identities_profile_handle ON identities (profile_id, handle);
    CREATE TABLE custom_attributes (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        profile_id TEXT NOT NULL REFERENCES profiles (id) ON DELETE CASCADE,
        namespace TEXT NOT NULL,
        handle TEXT NOT NULL,
        type TEXT NOT NULL,
        value TEXT NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE UNIQUE INDEX custom_attributes_key ON custom_attributes (profile_id, namespace, handle);
    CREATE INDEX custom_attributes_search ON custom_attributes (namespace, handle);
    """,
    # 2: batches (JSON batch imports and CSV import jobs) and their per-item outcomes
    """
    CREATE TABLE batches (
        id TEXT PRIMARY KEY,
        import_job_id TEXT UNIQUE,
        entity_type TEXT NOT NULL,
        match_criteria TEXT NOT NULL,
        status TEXT NOT NULL,
        total_count INTEGER NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE TABLE batch_items (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        batch_id TEXT NOT NULL REFERENCES batches (id) ON DELETE CASCADE,
        position INTEGER NOT NULL,
        entity_id TEXT,
        external_id TEXT,
        status TEXT NOT NULL,
        error TEXT,
        payload TEXT NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE INDEX batch_items_batch ON batch_items (batch_id, position);
    CREATE INDEX batch_items_pending ON batch_items (status) WHERE status = 'pending';
    """,
    # 3: list one handle's identities in id order without sorting them (GET /identities)
    """
    CREATE INDEX identities_handle_order ON identities (handle, id);
    """,
    # 4: profile dates (attributes.dates); one date per handle and relationship on a profile
    """
    CREATE TABLE dates (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        profile_id TEXT NOT NULL REFERENCES profiles (id) ON DELETE CASCADE,
        date TEXT NOT NULL,
        is_recurring INTEGER NOT NULL DEFAULT 0,
        meta TEXT,
        type TEXT,
        recurring_schedule TEXT,
        name TEXT,
        handle TEXT,
        relationship TEXT,
        description TEXT,
        note TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE INDEX dates_profile ON dates (profile_id, id);
    CREATE UNIQUE INDEX dates_key ON dates (profile_id, handle, coalesce(relationship, ''))
        WHERE handle IS NOT NULL;
    """,
    # 5: the line of the file where an import job's row starts (what it reports as `row`)
    """
    ALTER TABLE batch_items ADD COLUMN line INTEGER;
    """,
)

SCHEMA_VERSION = len(MIGRATIONS)


class UnusableDatabase(RuntimeError):
    """The database file cannot be used: a folder, not SQLite, damaged, or unreadable. The
    message is one line, without the path (the caller names it)."""


class SchemaTooNew(UnusableDatabase):
    """The database was written by a newer sandbox than this one."""


def connect(path: Path) -> sqlite3.Connection:
    """Open (creating if needed) and migrate the database; autocommit mode, WAL journal."""
    if path.is_dir():
        raise UnusableDatabase("is a folder, not a database file")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30)
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("PRAGMA busy_timeout=30000")
        migrate(conn)
    except (sqlite3.DatabaseError, OSError) as exc:  # OperationalError is a DatabaseError
        raise UnusableDatabase(f"cannot be opened as a sandbox database ({_reason(exc)})") from None
    return conn


def _reason(exc: sqlite3.DatabaseError | OSError) -> str:
    if isinstance(exc, OSError):
        return str(exc.strerror or exc).lower()
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


def migrate(conn: sqlite3.Connection) -> int:
    """Apply the migrations the database lacks, each in its own transaction; return the version."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        version = int(conn.execute("PRAGMA user_version").fetchone()[0])
        if version > SCHEMA_VERSION:
            raise SchemaTooNew(
                f"database schema {version} is newer than this sandbox ({SCHEMA_VERSION})"
            )
        for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
            for statement in filter(str.strip, script.split(";")):
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {number}")
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return SCHEMA_VERSION
