"""The agent's Prometheus metrics (the official client library), fed from each cycle's record.

Every metric is named ``reconcile_watch_*`` and documented in ``docs/watch.md``. The agent owns
one registry, so a test or a library user can run several agents in one process.
"""

from __future__ import annotations

import time

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from reconcile.watch.record import CycleRecord, State

CONTENT_TYPE = CONTENT_TYPE_LATEST
STATES: tuple[State, ...] = ("unknown", "in sync", "drifted", "healing", "failing")
_BUCKETS = (0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800)


class Metrics:
    """The agent's metrics, in their own registry."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.last_sync = Gauge("reconcile_watch_last_sync_timestamp_seconds",
                               "When the tenant's last successful cycle ended (Unix time)",
                               ["tenant"], registry=r)  # fmt: skip
        self.commit = Gauge("reconcile_watch_last_sync_commit_info",
                            "The commit of the tenant's last successful cycle (value 1)",
                            ["tenant", "commit"], registry=r)  # fmt: skip
        self.duration = Histogram("reconcile_watch_cycle_duration_seconds",
                                  "How long each cycle took", ["tenant"], buckets=_BUCKETS,
                                  registry=r)  # fmt: skip
        self.cycles = Counter("reconcile_watch_cycles_total", "Cycles by outcome",
                              ["tenant", "outcome"], registry=r)  # fmt: skip
        self.state = Gauge("reconcile_watch_state",
                           "1 for the tenant's current state, 0 for the others",
                           ["tenant", "state"], registry=r)  # fmt: skip
        self.drift = Gauge("reconcile_watch_drift",
                           "Changes the last plan held, by action (plus withheld and conflict)",
                           ["tenant", "action"], registry=r)  # fmt: skip
        self.applied = Counter("reconcile_watch_apply_changes_total",
                               "Changes written by self-heal, by outcome (ok, failed)",
                               ["tenant", "outcome"], registry=r)  # fmt: skip
        self.requests = Counter("reconcile_watch_api_requests_total",
                                "Requests sent to the tenant's API, by result (answered, "
                                "retried: 5xx or no answer, throttled: 429)",
                                ["tenant", "result"], registry=r)  # fmt: skip
        self.throttled = Counter("reconcile_watch_api_throttled_total",
                                 "Answers 429 (rate limited) from the tenant's API",
                                 ["tenant"], registry=r)  # fmt: skip
        self.lock_waits = Counter("reconcile_watch_lock_waits_total",
                                  "Cycles that found another apply's lock: waited (then ran) "
                                  "or skipped", ["tenant", "outcome"], registry=r)  # fmt: skip
        self.lock_seconds = Counter("reconcile_watch_lock_wait_seconds_total",
                                    "Seconds spent waiting for another apply's lock",
                                    ["tenant"], registry=r)  # fmt: skip
        self.rejected = Counter("reconcile_watch_rejected_commits_total",
                                "Cycles that found the newest commit failing validate",
                                ["tenant"], registry=r)  # fmt: skip
        self.notifications = Counter("reconcile_watch_notifications_total",
                                     "Notifications by outcome (sent, failed)", ["outcome"],
                                     registry=r)  # fmt: skip
        self.webhooks = Counter("reconcile_watch_webhooks_total",
                                "Webhook deliveries by outcome (accepted, ignored, refused)",
                                ["outcome"], registry=r)  # fmt: skip

    def tenant_added(self, tenant: str, state: State) -> None:
        """Show the tenant before its first cycle: state, and zero counts."""
        self.show_state(tenant, state)
        for outcome in ("in-sync", "drifted", "healed", "failed", "skipped", "stopped"):
            self.cycles.labels(tenant, outcome)
        for outcome in ("waited", "skipped"):
            self.lock_waits.labels(tenant, outcome)

    def show_state(self, tenant: str, state: State) -> None:
        for each in STATES:
            self.state.labels(tenant, each).set(1 if each == state else 0)

    def observe(self, record: CycleRecord, state: State, previous_commit: str | None) -> None:
        tenant = record.tenant
        self.duration.labels(tenant).observe(record.duration)
        self.cycles.labels(tenant, record.outcome).inc()
        self.show_state(tenant, state)
        if record.succeeded:
            self.last_sync.labels(tenant).set(time.time())
            if previous_commit and previous_commit != record.commit:
                self.commit.remove(tenant, previous_commit)
            self.commit.labels(tenant, record.commit or "").set(1)
        for action, count in record.drift.items():
            self.drift.labels(tenant, action).set(count)
        self.applied.labels(tenant, "ok").inc(record.applied)
        self.applied.labels(tenant, "failed").inc(record.apply_failed)
        answered = record.api_calls - record.api_retries - record.api_throttled
        self.requests.labels(tenant, "answered").inc(max(0, answered))
        self.requests.labels(tenant, "retried").inc(record.api_retries)
        self.requests.labels(tenant, "throttled").inc(record.api_throttled)
        self.throttled.labels(tenant).inc(record.api_throttled)
        if record.lock_holder is not None:
            waited = "skipped" if record.outcome == "skipped" else "waited"
            self.lock_waits.labels(tenant, waited).inc()
            self.lock_seconds.labels(tenant).inc(record.lock_waited)
        if record.rejected:
            self.rejected.labels(tenant).inc()

    def exposition(self) -> bytes:
        return generate_latest(self.registry)
