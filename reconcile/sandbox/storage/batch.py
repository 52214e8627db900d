"""Batch imports: store the items at once, apply them in the background, record each outcome.

Items live in SQLite (``batch_items``), so a sandbox stopped mid-batch resumes the pending items the
next time a batch endpoint is called. One worker task per tenant applies items in order, each in its
own transaction, yielding to the event loop between items.
"""

from __future__ import annotations

import asyncio
import sqlite3
import uuid
from dataclasses import dataclass
from typing import Any

from reconcile.sandbox.http.context import Tenant
from reconcile.sandbox.jsonio import dumps, stored_json, stored_object
from reconcile.sandbox.problems import ApiProblem, NotFound
from reconcile.sandbox.rules.values import now
from reconcile.sandbox.storage import upsert
from reconcile.sandbox.storage.store import integrity_problem

_TASKS: set[asyncio.Task[None]] = set()
ITEMS_PER_STEP = 20  # items per transaction: throughput vs. how long other requests wait


@dataclass(frozen=True)
class Item:
    """One profile to create or update; ``errors`` found before queuing fail it at once.

    ``line`` is where an import job's row starts in its file (the header's first line is 1).
    """

    payload: dict[str, Any]
    errors: dict[str, list[str]] | None = None
    line: int | None = None


def enqueue(
    conn: sqlite3.Connection, criteria: str, items: list[Item], import_job_id: str | None = None
) -> str:
    """Store a batch of items, in order; items with errors are failed at once."""
    batch_id = str(uuid.uuid4())
    stamp = now()
    conn.execute(
        "INSERT INTO batches (id, import_job_id, entity_type, match_criteria, status, total_count,"
        " created_at, updated_at) VALUES (?, ?, 'profile', ?, 'pending', ?, ?, ?)",
        (batch_id, import_job_id, criteria, len(items), stamp, stamp),
    )
    conn.executemany(
        "INSERT INTO batch_items (batch_id, position, line, external_id, status, error, payload,"
        " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (batch_id, position, item.line, upsert.match_key(item.payload, criteria),
             "failed" if item.errors else "pending", dumps(item.errors) if item.errors else None,
             dumps(item.payload), stamp, stamp)
            for position, item in enumerate(items)
        ],
    )  # fmt: skip
    return batch_id


def kick(tenant: Tenant) -> None:
    """Start the tenant's worker unless it is running (call from within the event loop)."""
    running = tenant.caches.get("batch_worker")
    if running is not None and not running.done():
        return
    task = asyncio.get_running_loop().create_task(_work(tenant))
    tenant.caches["batch_worker"] = task
    _TASKS.add(task)
    task.add_done_callback(_TASKS.discard)


async def _work(tenant: Tenant) -> None:
    while _step(tenant):
        await asyncio.sleep(0)


def _step(tenant: Tenant) -> bool:
    """Apply the oldest pending items (a few per transaction); False when none is left.

    The items are read and validated first, and the write lock is taken only to match and store
    them: another sandbox sharing the file may have applied some meanwhile, so only the items
    still pending are applied.
    """
    with tenant.store.read() as conn:
        items = conn.execute(
            "SELECT i.*, b.match_criteria FROM batch_items i JOIN batches b ON b.id = i.batch_id"
            " WHERE i.status = 'pending' ORDER BY i.id LIMIT ?",
            (ITEMS_PER_STEP,),
        ).fetchall()
    prepared = [(item, stored_object(item["payload"])) for item in items]
    checked = [(item, body, upsert.prepare(body)) for item, body in prepared]
    with tenant.store.write() as conn:
        if not items:
            _finish_batches(conn)
            return False
        marks = ",".join("?" * len(items))
        pending = {
            row[0]
            for row in conn.execute(
                f"SELECT id FROM batch_items WHERE status = 'pending' AND id IN ({marks})",
                [item["id"] for item in items],
            )
        }
        for item, body, ready in checked:
            if item["id"] in pending:
                _apply(conn, item, body, ready)
    return True


def _apply(
    conn: sqlite3.Connection, item: sqlite3.Row, body: dict[str, Any], ready: upsert.Prepared
) -> None:
    conn.execute("SAVEPOINT item")
    try:
        match = upsert.batch_match(conn, body, item["match_criteria"])
        entity_id, _ = upsert.upsert(conn, ready, match)
        outcome: tuple[Any, ...] = ("success", entity_id, None)
        conn.execute("RELEASE item")
    except (ApiProblem, sqlite3.IntegrityError) as failure:
        conn.execute("ROLLBACK TO item")
        conn.execute("RELEASE item")
        problem = failure if isinstance(failure, ApiProblem) else integrity_problem(failure)
        errors = problem.errors or {"profile": [problem.message]}
        outcome = ("failed", None, dumps(errors))
    stamp = now()
    conn.execute(
        "UPDATE batch_items SET status = ?, entity_id = ?, error = ?, updated_at = ? WHERE id = ?",
        (*outcome, stamp, item["id"]),
    )
    conn.execute(
        "UPDATE batches SET status = 'processing', updated_at = ? WHERE id = ?",
        (stamp, item["batch_id"]),
    )


def _finish_batches(conn: sqlite3.Connection) -> None:
    conn.execute(
        "UPDATE batches SET status = 'completed', updated_at = ? WHERE status != 'completed'"
        " AND NOT EXISTS (SELECT 1 FROM batch_items i WHERE i.batch_id = batches.id"
        " AND i.status = 'pending')",
        (now(),),
    )


def batch_json(conn: sqlite3.Connection, batch_id: str, *, lines: bool = False) -> dict[str, Any]:
    """The batch and its items; with ``lines``, each item also has the ``line`` of its file."""
    batch = conn.execute("SELECT * FROM batches WHERE id = ?", (batch_id,)).fetchone()
    if batch is None:
        raise NotFound("Batch")
    items = conn.execute(
        "SELECT * FROM batch_items WHERE batch_id = ? ORDER BY position", (batch_id,)
    ).fetchall()
    counts = {s: sum(1 for i in items if i["status"] == s) for s in ("success", "failed")}
    return {
        "id": batch["id"],
        "import_job_id": batch["import_job_id"],
        "entity_type": batch["entity_type"],
        "match_criteria": batch["match_criteria"],
        "status": batch["status"],
        "total_count": batch["total_count"],
        "success_count": counts["success"],
        "failed_count": counts["failed"],
        "processed_count": counts["success"] + counts["failed"],
        "created_at": batch["created_at"],
        "updated_at": batch["updated_at"],
        "items": [
            {
                "id": item["id"],
                "position": item["position"],
                "entity_id": item["entity_id"],
                "external_id": item["external_id"],
                "status": item["status"],
                "error": stored_json(item["error"]),
                "created_at": item["created_at"],
                "updated_at": item["updated_at"],
            }
            | ({"line": _line(item)} if lines else {})
            for item in items
        ],
    }


def _line(item: sqlite3.Row) -> int:
    # Items queued before the line was stored (schema 4) fall back to the record's number.
    return int(item["line"]) if item["line"] is not None else int(item["position"]) + 2


def import_job_batch(conn: sqlite3.Connection, job_id: str) -> str | None:
    """The id of the batch of CSV import job ``job_id``, or None."""
    row = conn.execute("SELECT id FROM batches WHERE import_job_id = ?", (job_id,)).fetchone()
    return None if row is None else str(row["id"])
