"""The sandbox's one SQLite connection, its transactions and the clock.

Every request runs its reads and writes on the event loop thread under one lock, each write in a
``BEGIN IMMEDIATE`` transaction, so a check-then-write (uniqueness, read-modify-write of a profile)
cannot interleave with another request; UNIQUE indexes back this up across processes.
"""

from __future__ import annotations

import re
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from reconcile.sandbox.problems import Invalid
from reconcile.sandbox.rules.messages import message
from reconcile.sandbox.storage import schema

Connection = sqlite3.Connection  # for the routes' type hints: they do not import sqlite3
_UNIQUE = re.compile(r"UNIQUE constraint failed: (\w+)\.(\w+)")
_UNIQUE_FIELDS = {
    "profiles.email": ("email", message("email", "unique")),
    "profiles.mobile_phone": ("mobile_phone", message("mobile_phone", "unique")),
    "identities.handle": ("identities", message("identities.*.identifier", "unique")),
    "identities.profile_id": ("identities", message("identities.*.handle", "distinct", "*")),
}


class Store:
    """The database of one sandbox tenant."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.conn = schema.connect(path)
        self.lock = threading.RLock()
        self.changes = 0  # bumped on every committed write: cache key for the search index

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """A write transaction; a UNIQUE violation that slipped past the checks becomes a 422."""
        with self.lock:
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                yield self.conn
            except sqlite3.IntegrityError as exc:
                self.conn.execute("ROLLBACK")
                raise integrity_problem(exc) from exc
            except BaseException:
                self.conn.execute("ROLLBACK")
                raise
            self.conn.execute("COMMIT")
            self.changes += 1

    @contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        """A read transaction: one consistent snapshot for several queries."""
        with self.lock:
            self.conn.execute("BEGIN")
            try:
                yield self.conn
            finally:
                self.conn.execute("COMMIT")

    def data_version(self) -> tuple[int, int]:
        """Changes by this store and by other connections to the same file."""
        with self.lock:
            other = int(self.conn.execute("PRAGMA data_version").fetchone()[0])
        return self.changes, other

    def close(self) -> None:
        with self.lock:
            self.conn.close()


def integrity_problem(exc: sqlite3.IntegrityError) -> Invalid:
    found = _UNIQUE.search(str(exc))
    key = f"{found.group(1)}.{found.group(2)}" if found else ""
    field, text = _UNIQUE_FIELDS.get(key, ("id", "The resource conflicts with stored data."))
    return Invalid({field: [text]})
