"""One cycle for one tenant: validate, wait for the lock, plan, decide, apply or report.

The agent fetches first (``source.py``) and hands the cycle the newest commit and the last good
one. A commit that fails validate is not reconciled: the cycle reports it and works from the last
good commit instead. The decision (:func:`decide`) never applies an unsafe plan, a plan with
conflicts, or anything on a drift-only tenant.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from reconcile import Plan
from reconcile.errors import (
    ApiError,
    ConfigError,
    LockError,
    PlanError,
    ReconcileError,
    SourceError,
)
from reconcile.plan.value import REPORT_ACTIONS
from reconcile.watch.config import Kind, WatchPolicy
from reconcile.watch.reconciler import Applied, Reconciler, Usage, Validation
from reconcile.watch.record import CycleRecord, Outcome

Opener = Callable[[str], Reconciler]  # a commit's reconciler for this cycle's tenant


@dataclass(frozen=True)
class Decision:
    apply: bool
    reason: str


def decide(plan: Plan, policy: WatchPolicy, kind: Kind) -> Decision:
    """Whether the agent applies ``plan`` on its own, and why (or why not)."""
    if plan.conflicts:
        return Decision(False, f"{len(plan.conflicts)} conflicts: resolve them in profiles.d/")
    if not plan.drifted:
        return Decision(False, "in sync")
    if policy.mode_for(kind) == "drift-only":
        return Decision(False, "drift-only: reported, not written")
    if plan.unsafe:
        return Decision(False, f"unsafe, needs a person: {'; '.join(plan.unsafe)}")
    if not plan.has_changes:
        return Decision(False, f"withheld: {plan.withheld_summary()}")
    return Decision(True, "self-heal")


@dataclass
class CycleInput:
    tenant: str
    commit: str
    last_good: str | None
    lock_wait: float
    resume: Path | None = None  # a plan a stopped apply left, to finish first


def run_cycle(
    given: CycleInput,
    open_commit: Opener,
    stop: threading.Event,
    on_healing: Callable[[], None] = lambda: None,
) -> CycleRecord:
    """Run one cycle; every error becomes a failed record (one line), never an exception."""
    run = _Cycle(given, open_commit, stop, on_healing)
    try:
        return run.go()
    except LockError as exc:
        return run.record("skipped", error=str(exc))
    except ReconcileError as exc:
        return run.record("failed", error=str(exc), permanent=_permanent(exc))
    except Exception as exc:  # the agent outlives any one cycle
        return run.record("failed", error=f"internal error: {type(exc).__name__}: {exc}")
    finally:
        run.close()


def _permanent(exc: ReconcileError) -> bool:
    if isinstance(exc, SourceError):
        return exc.permanent
    if isinstance(exc, ApiError):
        return exc.status in (401, 403)
    return isinstance(exc, ConfigError)


class _Cycle:
    def __init__(
        self,
        given: CycleInput,
        open_commit: Opener,
        stop: threading.Event,
        on_healing: Callable[[], None],
    ) -> None:
        self.given = given
        self.open_commit = open_commit
        self.stop = stop
        self.on_healing = on_healing
        self.started = time.monotonic()
        self.started_at = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        self.commit: str | None = None
        self.rejected: str | None = None
        self.problems: tuple[str, ...] = ()
        self.waited = 0.0
        self.holder: str | None = None
        self.opened: list[Reconciler] = []
        self.note = ""  # what was done before planning (a resumed apply)

    def go(self) -> CycleRecord:
        reconciler = self._valid_reconciler()
        if reconciler is None:
            return self.record("failed", error=self._rejection(), permanent=True)
        if self.given.resume is not None:
            stopped = self._resume(reconciler, self.given.resume)
            if stopped is not None:
                return stopped
        if not self._lock_free(reconciler):
            return self.record("skipped", error=f"the tenant is locked: {self.holder}")
        policy = reconciler.policy
        plan = reconciler.plan(allow_delete=policy.prune, allow_purge=policy.purge)
        report = _bounded(reconciler.show(plan, "text"))
        decision = decide(plan, policy, reconciler.kind)
        drift = _drift(plan)
        if not decision.apply:
            outcome: Outcome = "drifted" if plan.drifted or plan.conflicts else "in-sync"
            return self.record(outcome, summary=f"{decision.reason}; {plan.summary()}",
                               drift=drift, report=report)  # fmt: skip
        self.on_healing()
        applied = reconciler.apply(plan, resume=False, lock_timeout=self.given.lock_wait,
                                   stop=self.stop)  # fmt: skip
        return self._after_apply(applied, plan, drift, report)

    def _resume(self, reconciler: Reconciler, plan_file: Path) -> CycleRecord | None:
        """Finish the apply a stop left; a record if stopped again. A plan that cannot be
        resumed (stale, gone) is left: the plan made next converges all the same."""
        self.on_healing()
        try:
            resumed = reconciler.apply(
                plan_file, resume=True, lock_timeout=self.given.lock_wait, stop=self.stop
            )
        except (PlanError, OSError) as exc:
            self.note = f"not resumed {plan_file.name} ({exc}); "
            return None
        if resumed.stopped:
            return self.record("stopped", plan_file=str(plan_file))
        done = resumed.result.summary() if resumed.result else ""
        self.note = f"resumed {plan_file.name} ({done}); "
        return None

    def _valid_reconciler(self) -> Reconciler | None:
        """The newest commit's reconciler if it validates, else the last good commit's."""
        newest = self._open(self.given.commit)
        checked: Validation = newest.validate()
        if checked.ok:
            self.commit = self.given.commit
            return newest
        self.rejected, self.problems = self.given.commit, checked.problems
        if self.given.last_good is None:
            return None
        self.commit = self.given.last_good
        return self._open(self.given.last_good)

    def _open(self, commit: str) -> Reconciler:
        self.opened.append(self.open_commit(commit))
        return self.opened[-1]

    def close(self) -> None:
        for reconciler in self.opened:
            reconciler.close()

    def _rejection(self) -> str:
        first = self.problems[0] if self.problems else "invalid"
        more = f" (and {len(self.problems) - 1} more)" if len(self.problems) > 1 else ""
        commit = self.given.commit[:12]
        return f"commit {commit} fails validate and no commit before it passed: {first}{more}"

    def _lock_free(self, reconciler: Reconciler) -> bool:
        """Wait up to ``lock_wait`` seconds for another apply's lock; False if still held."""
        deadline = self.started + self.given.lock_wait
        began = time.monotonic()
        while (holder := reconciler.lock_holder()) is not None:
            self.holder = holder
            if time.monotonic() >= deadline or self.stop.is_set():
                self.waited = time.monotonic() - began
                return False
            self.stop.wait(min(0.5, max(0.0, deadline - time.monotonic())))
        self.waited = time.monotonic() - began
        return True

    def _after_apply(
        self, applied: Applied, plan: Plan, drift: dict[str, int], report: str
    ) -> CycleRecord:
        if applied.stopped or applied.result is None:
            return self.record("stopped", drift=drift, report=report,
                               plan_file=str(applied.plan_file))  # fmt: skip
        result = applied.result
        outcome: Outcome = "healed" if result.complete else "failed"
        error = None if result.complete else f"apply: {result.summary()}"
        first = next(iter(result.failed), None)
        if first is not None:
            error = f"{error}; first failure: {first.key}: {first.error}"
        return self.record(outcome, summary=f"self-heal: {result.summary()} ({plan.summary()})",
                           drift=drift, report=report, applied=len(result.succeeded),
                           apply_failed=len(result.failed), error=error)  # fmt: skip

    def record(self, outcome: Outcome, **fields: object) -> CycleRecord:
        used = [r.usage() for r in self.opened]
        usage = Usage(
            calls=sum(u.calls for u in used),
            retries=sum(u.retries for u in used),
            throttled=sum(u.throttled for u in used),
        )
        return CycleRecord.model_validate(
            {
                "tenant": self.given.tenant,
                "started_at": self.started_at,
                "duration": round(time.monotonic() - self.started, 3),
                "commit": self.commit,
                "rejected": self.rejected,
                "problems": self.problems,
                "outcome": outcome,
                "lock_waited": round(self.waited, 3),
                "lock_holder": self.holder,
                "summary": self.note + str(fields.pop("summary", "")),
                "api_calls": usage.calls,
                "api_retries": usage.retries,
                "api_throttled": usage.throttled,
                **fields,
            }
        )


def _bounded(report: str, limit: int = 200_000) -> str:
    """The report as the history keeps it: a huge plan's is cut (the history stays small)."""
    if len(report) <= limit:
        return report
    cut = report[:limit].rsplit("\n", 1)[0]
    return f"{cut}\n... (cut at {limit:,} characters of {len(report):,})\n"


def _drift(plan: Plan) -> dict[str, int]:
    counts: dict[str, int] = {action: plan.count(action) for action in REPORT_ACTIONS}
    counts["withheld"] = len(plan.withheld)
    counts["conflict"] = len(plan.conflicts)
    return counts
