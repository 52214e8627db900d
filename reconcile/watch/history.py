"""The agent's memory: recent cycles and each tenant's last notified state, in SQLite.

``<state>/watch/history.db`` holds the last ``keep`` cycles of each tenant (older ones are
deleted as new ones are added, so the file stays bounded) and, per tenant, the state last
announced and the last good commit, so a restart neither repeats a notification nor forgets which
commit is in force. One connection, used from one thread at a time (the agent serialises).
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from reconcile.watch.record import CycleRecord, State

_SCHEMA = """
CREATE TABLE IF NOT EXISTS cycles (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant TEXT NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS cycles_by_tenant ON cycles (tenant, id);
CREATE TABLE IF NOT EXISTS tenants (
    tenant TEXT PRIMARY KEY,
    notified TEXT NOT NULL DEFAULT 'unknown',
    last_good TEXT,
    pending_plan TEXT
);
"""


class TenantMemory(BaseModel):
    """What survives a restart about one tenant."""

    model_config = ConfigDict(frozen=True)

    notified: State = "unknown"
    last_good: str | None = None
    pending_plan: str | None = None  # a stopped apply's plan file, to resume


class History:
    """Cycles and tenant memory in one SQLite file."""

    def __init__(self, path: Path, *, keep: int = 200) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.keep = keep
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(_SCHEMA)

    def add(self, record: CycleRecord) -> CycleRecord:
        """Store ``record`` and return it with its id; drop the tenant's oldest past ``keep``."""
        with self._lock:
            cursor = self._db.execute(
                "INSERT INTO cycles (tenant, body) VALUES (?, ?)",
                (record.tenant, record.model_dump_json()),
            )
            stored = record.model_copy(update={"id": cursor.lastrowid or 0})
            self._db.execute(
                "DELETE FROM cycles WHERE tenant = ? AND id NOT IN "
                "(SELECT id FROM cycles WHERE tenant = ? ORDER BY id DESC LIMIT ?)",
                (record.tenant, record.tenant, self.keep),
            )
            return stored

    def recent(self, tenant: str | None = None, limit: int = 20) -> list[CycleRecord]:
        """The newest cycles first, of one tenant or of all."""
        with self._lock:
            if tenant is None:
                rows = self._db.execute(
                    "SELECT id, body FROM cycles ORDER BY id DESC LIMIT ?", (limit,)
                ).fetchall()
            else:
                rows = self._db.execute(
                    "SELECT id, body FROM cycles WHERE tenant = ? ORDER BY id DESC LIMIT ?",
                    (tenant, limit),
                ).fetchall()
        return [_revived(row_id, body) for row_id, body in rows]

    def get(self, cycle_id: int) -> CycleRecord | None:
        with self._lock:
            row = self._db.execute(
                "SELECT id, body FROM cycles WHERE id = ?", (cycle_id,)
            ).fetchone()
        return None if row is None else _revived(row[0], row[1])

    def memory(self, tenant: str) -> TenantMemory:
        with self._lock:
            row = self._db.execute(
                "SELECT notified, last_good, pending_plan FROM tenants WHERE tenant = ?", (tenant,)
            ).fetchone()
        if row is None:
            return TenantMemory()
        return TenantMemory(notified=row[0], last_good=row[1], pending_plan=row[2])

    def remember(self, tenant: str, memory: TenantMemory) -> None:
        with self._lock:
            self._db.execute(
                "INSERT INTO tenants (tenant, notified, last_good, pending_plan) "
                "VALUES (?, ?, ?, ?) ON CONFLICT (tenant) DO UPDATE SET "
                "notified = excluded.notified, last_good = excluded.last_good, "
                "pending_plan = excluded.pending_plan",
                (tenant, memory.notified, memory.last_good, memory.pending_plan),
            )

    def close(self) -> None:
        with self._lock:
            self._db.close()


def _revived(row_id: int, body: str) -> CycleRecord:
    return CycleRecord.model_validate_json(body).model_copy(update={"id": row_id})
