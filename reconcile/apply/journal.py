"""The apply journal: an append-only JSON Lines file beside the plan, one line per event.

``plans/NAME.json`` is journalled in ``plans/NAME.journal.jsonl``. Each run starts with a ``run``
line naming the plan's checksum; then every change gets a ``started`` line before its first write
and an ``ok`` or ``failed`` line when it ends. Each line is flushed as it is written, so a killed
process loses at most the line it was writing (a torn last line is ignored on read); the engine
waits for :meth:`Journal.sync` (fsync) before a change's first write, which puts every earlier
line on disk too.

>>> journal = Journal.beside(Path("plans/release.json"))    # doctest: +SKIP
>>> journal.path.name                                       # doctest: +SKIP
'release.journal.jsonl'
>>> state = journal.read(plan.checksum)                     # doctest: +SKIP
>>> sorted(state.succeeded)                                 # doctest: +SKIP
['jane', 'sam']
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from reconcile.errors import PlanError

Status = Literal["started", "ok", "failed"]


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class RunEntry(BaseModel):
    """The first line of every run: which plan, how it was run."""

    model_config = ConfigDict(frozen=True)

    type: Literal["run"] = "run"
    plan: str
    mode: Literal["apply", "resume", "bulk"]
    at: str = Field(default_factory=_now)


class ChangeEntry(BaseModel):
    """One event of one change. ``error`` holds the API's message (already free of PII);
    ``erasure`` the reference of the erasure request a purge carries out (the audit trail)."""

    model_config = ConfigDict(frozen=True)

    type: Literal["change"] = "change"
    key: str
    action: str
    profile_id: str | None = None
    status: Status
    error: str | None = None
    attempt: int = 1
    erasure: str | None = None
    at: str = Field(default_factory=_now)


class JournalState(BaseModel):
    """What earlier runs of one plan did, as far as the journal knows."""

    model_config = ConfigDict(frozen=True)

    runs: int = 0
    succeeded: dict[str, ChangeEntry] = Field(default_factory=dict)
    touched: frozenset[str] = frozenset()  # started, never finished well: may be half-written
    attempts: dict[str, int] = Field(default_factory=dict)

    def attempt(self, key: str) -> int:
        return self.attempts.get(key, 0) + 1


class Journal:
    """Appends entries durably; reads back the state of one plan's earlier runs."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._file: IO[str] | None = None
        self._written = 0
        self._synced = 0
        self._sync_lock = asyncio.Lock()

    @classmethod
    def beside(cls, plan_file: Path) -> Journal:
        return cls(plan_file.with_name(f"{plan_file.stem}.journal.jsonl"))

    @property
    def plan_file(self) -> Path:
        """The plan this journal is beside (``plans/NAME.journal.jsonl`` → ``plans/NAME.json``)."""
        return self.path.with_name(self.path.name.removesuffix(".journal.jsonl") + ".json")

    def read(self, plan_checksum: str) -> JournalState:
        """The state left by earlier runs of the plan with ``plan_checksum``."""
        runs = 0
        succeeded: dict[str, ChangeEntry] = {}
        touched: set[str] = set()
        attempts: dict[str, int] = {}
        for entry in self._entries():
            if isinstance(entry, RunEntry):
                if entry.plan != plan_checksum:
                    raise PlanError(
                        f"{self.path} belongs to another plan ({entry.plan[:12]}…): "
                        "move it away or apply the plan it was written for"
                    )
                runs += 1
            elif entry.status == "started":
                attempts[entry.key] = attempts.get(entry.key, 0) + 1
                touched.add(entry.key)
            elif entry.status == "ok":
                succeeded[entry.key] = entry
                touched.discard(entry.key)
        return JournalState(
            runs=runs, succeeded=succeeded, touched=frozenset(touched), attempts=attempts
        )

    def _entries(self) -> Iterable[RunEntry | ChangeEntry]:
        if not self.path.exists():
            return
        try:
            text = self.path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise self._unusable(exc) from None
        lines = [line for line in text.splitlines() if line]
        for number, line in enumerate(lines, start=1):
            try:
                data = json.loads(line)
                yield (
                    RunEntry.model_validate(data)
                    if data.get("type") == "run"
                    else (ChangeEntry.model_validate(data))
                )
            except (json.JSONDecodeError, ValidationError, AttributeError):
                # A kill mid-write tears the last line of a run: the change never finished.
                torn = number == len(lines) or '"type":"run"' in lines[number]
                if not torn:
                    raise PlanError(f"{self.path}: line {number} is not a journal line") from None

    def start(self, plan_checksum: str, mode: Literal["apply", "resume", "bulk"]) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            torn = self.path.exists() and not self.path.read_bytes().endswith(b"\n")
            self._file = self.path.open("a", encoding="utf-8")
        except OSError as exc:
            raise self._unusable(exc) from None
        if torn and self.path.stat().st_size:
            self._file.write("\n")
        self._write([RunEntry(plan=plan_checksum, mode=mode)])
        os.fsync(self._file.fileno())
        self._synced = self._written

    def _unusable(self, exc: OSError | UnicodeDecodeError) -> PlanError:
        """The journal's path cannot hold a journal: say which, and what to do, before any write."""
        if self.path.is_dir():
            why = "is a folder"
        elif isinstance(exc, UnicodeDecodeError):
            why = "is not a journal (not UTF-8 text)"
        else:
            why = f"cannot be used ({exc.strerror or exc})"
        return PlanError(
            f"{self.path} {why}: the journal of {self.plan_file.name} goes there; move it away"
        )

    def record(self, *entries: ChangeEntry) -> None:
        """Append and flush: the lines survive the process being killed from here on."""
        self._write(entries)

    async def sync(self) -> None:
        """Return once every line recorded so far is on disk (fsynced).

        Concurrent callers share one fsync (group commit), run in a thread so that the event
        loop, and the requests in flight, do not wait for the disk.
        """
        wanted = self._written
        async with self._sync_lock:
            if self._synced >= wanted or self._file is None:
                return
            upto = self._written
            await asyncio.to_thread(os.fsync, self._file.fileno())
            self._synced = upto

    def _write(self, entries: Iterable[RunEntry | ChangeEntry]) -> None:
        if self._file is None:
            raise RuntimeError("Journal.start() was not called")
        for entry in entries:
            self._file.write(entry.model_dump_json() + "\n")
            self._written += 1
        self._file.flush()

    def close(self) -> None:
        if self._file is not None:
            self._file.flush()
            os.fsync(self._file.fileno())
            self._file.close()
            self._file = None
