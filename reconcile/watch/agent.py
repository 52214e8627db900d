"""The agent: one loop per tenant, the shared git source, the HTTP port, and a graceful stop.

Each tenant's loop waits for its interval (or a webhook push), fetches, and runs a cycle
(``cycle.py``) in a worker thread; then it records the cycle (``history.py``), updates the
metrics, notifies on a change of state and prints one line. A failing tenant backs off
(doubling up to 16 intervals); a permanent error (a refused token, a broken config) waits the
longest and is printed once, not every interval. SIGTERM or SIGINT sets the stop event: an
apply in flight starts no new change, finishes the writes under way, journals them and releases
the lock; its plan is remembered, and the next start resumes it before planning again.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from reconcile.errors import SourceError
from reconcile.watch.config import AgentConfig
from reconcile.watch.cycle import CycleInput, run_cycle
from reconcile.watch.history import History, TenantMemory
from reconcile.watch.metrics import CONTENT_TYPE, Metrics
from reconcile.watch.notify import Notifier, event_for, notification
from reconcile.watch.page import TenantView
from reconcile.watch.reconciler import Reconciler
from reconcile.watch.record import STATE_OF, CycleRecord, State
from reconcile.watch.server import HttpServer
from reconcile.watch.source import GitSource
from reconcile.watch.web import create_web_app

OpenReconciler = Callable[[Path, str], Reconciler]  # (checkout, tenant) -> reconciler
MAX_BACKOFF = 16  # intervals


@dataclass
class _Tenant:
    name: str
    kind: str
    mode: str
    state: State = "unknown"
    last_sync: str | None = None
    commit: str | None = None
    last: CycleRecord | None = None
    failures: int = 0
    # the last failure and rejected commit printed (a repeat is not printed again)
    said: tuple[str | None, str | None] = (None, None)
    wake: asyncio.Event = field(default_factory=asyncio.Event)


class Agent:
    """Runs until stopped; serves the page, metrics, health and webhook on ``config.port``."""

    def __init__(
        self,
        config: AgentConfig,
        source: GitSource,
        open_reconciler: OpenReconciler,
        described: dict[str, tuple[str, str]],  # tenant -> (kind, mode) as configured now
        say: Callable[[str], None],
    ) -> None:
        self.config = config
        self.git = source
        self.open_reconciler = open_reconciler
        self.say = say
        self.source = source.shown
        self.branch = source.branch
        self.refresh = max(2, min(30, int(config.interval)))
        self.webhook_secret = config.webhook_secret
        self.meters = Metrics()
        self.history = History(config.state / "watch" / "history.db", keep=config.history_keep)
        self.stop = threading.Event()
        self._tenants = {
            name: _Tenant(name, *described.get(name, ("?", "?"))) for name in config.tenants
        }
        self._fetch_lock = asyncio.Lock()
        self._fetched: tuple[float, str] | None = None
        self._fresh_needed = False
        self._in_use: Counter[str] = Counter()  # commits that cycles are working from
        self._loop: asyncio.AbstractEventLoop | None = None
        self.notifier = Notifier(
            config.notify_url,
            config.slack_url,
            on_outcome=lambda sent: self.meters.notifications.labels(
                "sent" if sent else "failed"
            ).inc(),
        )

    async def run(self) -> None:
        self._loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            self._loop.add_signal_handler(signum, self.request_stop)
        for tenant in self._tenants.values():
            self._restore(tenant)
        server = HttpServer(create_web_app(self), self.config.host, self.config.port)
        server.start()
        self.say(f"reconcile watch: {self.source}; tenants {', '.join(self._tenants)}; "
                 f"every {self.config.interval:g}s; page on {server.url}")  # fmt: skip
        try:
            await asyncio.gather(*(self._tenant_loop(t) for t in self._tenants.values()))
        finally:
            await self.notifier.drain()
            server.stop()
            self.history.close()
            self.say("reconcile watch: stopped")

    def request_stop(self) -> None:
        if not self.stop.is_set():
            self.say(
                "reconcile watch: stopping (an apply finishes its writes in flight, then stops)"
            )
        self.stop.set()
        for tenant in self._tenants.values():
            tenant.wake.set()

    # --- what the web app asks (called from the server's thread) --------------------------

    def tenants(self) -> list[TenantView]:
        return [
            TenantView(
                tenant=t.name,
                kind=t.kind,
                mode=t.mode,
                state=t.state,
                last_sync=t.last_sync,
                commit=t.commit,
                last=t.last,
            )
            for t in self._tenants.values()
        ]

    def cycles(self, limit: int) -> list[CycleRecord]:
        return self.history.recent(limit=limit)

    def cycle(self, cycle_id: int) -> CycleRecord | None:
        return self.history.get(cycle_id)

    def ready(self) -> tuple[bool, list[str]]:
        """Ready when every tenant's last cycle succeeded, within three intervals."""
        horizon = 3 * self.config.interval + 30
        waiting = [
            t.name
            for t in self._tenants.values()
            if t.last is None or not t.last.succeeded or _age(t.last_sync) > horizon
        ]
        return not waiting, waiting

    def metrics(self) -> tuple[bytes, str]:
        return self.meters.exposition(), CONTENT_TYPE

    def trigger(self, why: str) -> None:
        loop = self._loop
        if loop is not None:
            loop.call_soon_threadsafe(self._wake_all, why)

    def webhook_seen(self, outcome: str) -> None:
        self.meters.webhooks.labels(outcome).inc()

    # --- the loops ---------------------------------------------------------------------------

    def _wake_all(self, why: str) -> None:
        self._fresh_needed = True
        self.say(f"reconcile watch: {why}: cycling every tenant now")
        for tenant in self._tenants.values():
            tenant.wake.set()

    def _restore(self, tenant: _Tenant) -> None:
        recent = self.history.recent(tenant.name, limit=self.config.history_keep)
        tenant.state = self.history.memory(tenant.name).notified
        tenant.last = next(iter(recent), None)
        synced = next((r for r in recent if r.succeeded), None)
        if synced is not None:
            tenant.last_sync, tenant.commit = synced.started_at, synced.commit
        self.meters.tenant_added(tenant.name, tenant.state)

    async def _tenant_loop(self, tenant: _Tenant) -> None:
        delay = 0.0
        while not self.stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(tenant.wake.wait(), timeout=delay)
            tenant.wake.clear()
            if self.stop.is_set():
                return
            record = await self._cycle(tenant)
            delay = self._after(tenant, record)

    async def _cycle(self, tenant: _Tenant) -> CycleRecord:
        memory = self.history.memory(tenant.name)
        try:
            commit = await self._fetch()
        except SourceError as exc:
            now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            return CycleRecord(
                tenant=tenant.name,
                started_at=now,
                duration=0.0,
                outcome="failed",
                error=str(exc),
                permanent=exc.permanent,
            )
        given = CycleInput(
            tenant=tenant.name,
            commit=commit,
            last_good=memory.last_good,
            lock_wait=self.config.lock_wait,
            resume=Path(memory.pending_plan) if memory.pending_plan else None,
        )

        def opened(chosen: str) -> Reconciler:
            return self.open_reconciler(self.git.checkout(chosen), tenant.name)

        def healing() -> None:
            self._loop_call(self._show_healing, tenant)

        used = [c for c in (given.commit, given.last_good) if c]
        self._in_use.update(used)
        try:
            return await asyncio.to_thread(run_cycle, given, opened, self.stop, healing)
        finally:
            self._in_use.subtract(used)

    def _loop_call(self, work: Callable[[_Tenant], None], tenant: _Tenant) -> None:
        if self._loop is not None:
            self._loop.call_soon_threadsafe(work, tenant)

    def _show_healing(self, tenant: _Tenant) -> None:
        tenant.state = "healing"
        self.meters.show_state(tenant.name, "healing")

    async def _fetch(self) -> str:
        """The watched branch's commit, fetched at most once per half interval unless a push
        asks for a fresh one."""
        async with self._fetch_lock:
            now = time.monotonic()
            recent = self._fetched is not None and now - self._fetched[0] < self.config.interval / 2
            if recent and not self._fresh_needed and self._fetched is not None:
                return self._fetched[1]
            self._fresh_needed = False
            commit = await asyncio.to_thread(self.git.fetch)
            self._fetched = (time.monotonic(), commit)
            return commit

    def _after(self, tenant: _Tenant, record: CycleRecord) -> float:
        """Record the cycle, update what is shown, notify; the delay before the next one."""
        stored = self.history.add(record)
        memory = self.history.memory(tenant.name)
        previous = memory.notified
        state = STATE_OF.get(stored.outcome, previous)
        previous_commit = tenant.commit if tenant.last and tenant.last.succeeded else None
        tenant.state, tenant.last = state, stored
        if stored.succeeded:
            tenant.last_sync = stored.started_at
            tenant.commit = stored.commit
        self.meters.observe(stored, state, previous_commit)
        good = stored.commit if stored.commit and stored.succeeded else memory.last_good
        pending = stored.plan_file if stored.outcome == "stopped" else None
        self.history.remember(tenant.name, TenantMemory(notified=state, last_good=good,
                                                        pending_plan=pending))  # fmt: skip
        event = event_for(previous, state, stored)
        if event is not None:
            self.notifier.send(notification(stored, event, state, previous))
        self._print(tenant, stored)
        self._prune_checkouts()
        return self._delay(tenant, stored)

    def _prune_checkouts(self) -> None:
        """Remove the checkouts no cycle works from and no tenant falls back to."""
        keep = {commit for commit, n in self._in_use.items() if n > 0}
        keep |= {self.history.memory(name).last_good or "" for name in self._tenants}
        if self._fetched is not None:
            keep.add(self._fetched[1])
        self.git.keep_only(keep)

    def _print(self, tenant: _Tenant, record: CycleRecord) -> None:
        """One line a cycle; the same failure, or the same rejected commit, is said once."""
        said = (record.error if record.outcome == "failed" else None, record.rejected)
        if said[0] is not None and said == tenant.said:
            return
        line = record.line(with_rejection=record.rejected != tenant.said[1])
        tenant.said = said
        self.say(line)

    def _delay(self, tenant: _Tenant, record: CycleRecord) -> float:
        interval = self.config.interval
        if record.outcome != "failed" or record.rejected:  # a new commit is the fix: keep looking
            tenant.failures = 0
            return interval
        tenant.failures += 1
        if record.permanent:
            return interval * MAX_BACKOFF
        return float(interval * min(MAX_BACKOFF, 2 ** (tenant.failures - 1)))


def _age(stamp: str | None) -> float:
    if stamp is None:
        return float("inf")
    moment = datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    return (datetime.now(UTC) - moment).total_seconds()
