"""What a watch cycle needs from the library, as one small interface, and its implementation.

:class:`Reconciler` is the seam between the agent and the library: validate, plan, show, apply
(stoppable) and the lock's holder, for one tenant of one checkout of the watched repository.
:class:`ProjectReconciler` implements it over :class:`reconcile.Project`, so a cycle runs
exactly what ``reconcile validate``, ``plan`` and ``apply`` run, with every check of the
library (the plan checked against the project and the tenant, the tenant's lock, the journal
beside the saved plan); ``stop`` lets the writes in flight finish, then journals and releases
the lock.

The checkout is the commit's files; what the agent keeps (plans, journals, the embedded sandbox
and the parse cache) lives in the agent's state folder, never in the checkout, which is replaced
by the next commit.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from pydantic import BaseModel, ConfigDict

from reconcile import ApplyResult, Plan, Project
from reconcile.watch.config import Kind, WatchPolicy


class Validation(BaseModel):
    """What validate found: how many profiles, and every problem (file:line: message)."""

    model_config = ConfigDict(frozen=True)

    profiles: int = 0
    problems: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.problems


class Usage(BaseModel):
    """The API requests a step sent: all of them, those retried, those answered 429."""

    model_config = ConfigDict(frozen=True)

    calls: int = 0
    retries: int = 0
    throttled: int = 0


class Applied(BaseModel):
    """An apply's outcome: the result, whether ``stop`` cut it short, and its journal."""

    model_config = ConfigDict(frozen=True)

    result: ApplyResult | None
    stopped: bool
    plan_file: Path
    journal: Path | None = None


class Reconciler(Protocol):
    """One tenant of one checkout, as a watch cycle sees it."""

    @property
    def kind(self) -> Kind: ...

    @property
    def policy(self) -> WatchPolicy: ...

    def validate(self) -> Validation: ...

    def plan(self, *, allow_delete: bool, allow_purge: bool) -> Plan: ...

    def show(self, plan: Plan, fmt: str) -> str: ...

    def apply(
        self,
        plan: Plan | Path,
        *,
        resume: bool,
        lock_timeout: float,
        stop: threading.Event,
    ) -> Applied: ...

    def lock_holder(self) -> str | None: ...

    def usage(self) -> Usage:
        """The API requests sent so far through this reconciler."""
        ...

    def close(self) -> None: ...


class ProjectReconciler:
    """:class:`Reconciler` over :class:`reconcile.Project`: the same checks as the command line
    (the plan checked against the project and the tenant, the lock, the journal)."""

    def __init__(self, checkout: Path, tenant: str, *, state: Path, env: Mapping[str, str]) -> None:
        self.tenant = tenant
        self.project = Project(checkout, tenant=tenant, env=env)
        # What the agent keeps (plans and journals, the embedded sandbox, the parse cache) lives
        # in its state folder, never in the checkout, which the next commit replaces. Project
        # reads these two paths from its settings at each call, so moving them here is enough.
        moved = {"state_dir": state.resolve(), "plans_dir": (state / "watch" / "plans").resolve()}
        self.project.aio.settings = self.project.settings.model_copy(update=moved)
        configured = self.project.settings.tenants.get(tenant)
        self._policy = configured.watch if configured is not None else WatchPolicy()
        self._usage = Usage()

    @property
    def kind(self) -> Kind:
        return self.project.tenant_kind()

    @property
    def policy(self) -> WatchPolicy:
        return self._policy

    def validate(self) -> Validation:
        checked = self.project.validate()
        return Validation(
            profiles=checked.profiles, problems=tuple(str(p) for p in checked.problems)
        )

    def plan(self, *, allow_delete: bool, allow_purge: bool) -> Plan:
        made = self.project.plan(allow_delete=allow_delete, allow_purge=allow_purge, out=False)
        self._count(made.api_calls)
        return made

    def show(self, plan: Plan, fmt: str) -> str:
        return self.project.show(plan, fmt)

    def apply(
        self, plan: Plan | Path, *, resume: bool, lock_timeout: float, stop: threading.Event
    ) -> Applied:
        out = None if isinstance(plan, Path) else self.project.new_plan_file(prefix="watch-")
        result = self.project.apply(
            plan, resume=resume, lock_timeout=lock_timeout, stop=stop, out=out,
            allow_delete=self._policy.prune, allow_purge=self._policy.purge,
            holder=f"reconcile watch ({self.tenant})",
        )  # fmt: skip
        self._count(result.api_calls, result.retries, result.throttled)
        plan_file = result.plan_file or (plan if isinstance(plan, Path) else out)
        return Applied(result=result, stopped=result.stopped, plan_file=plan_file,
                       journal=result.journal)  # fmt: skip

    def lock_holder(self) -> str | None:
        status = self.project.lock_status()
        # A broken, expired or orphaned lock is taken over by the next apply: it holds no one.
        if status is None or status.stale(datetime.now(UTC)):
            return None
        return status.describe()

    def usage(self) -> Usage:
        return self._usage

    def close(self) -> None:
        """Nothing to close: each call of the project opens and closes its client."""

    def _count(self, calls: int, retries: int = 0, throttled: int = 0) -> None:
        used = self._usage
        self._usage = Usage(calls=used.calls + calls, retries=used.retries + retries,
                            throttled=used.throttled + throttled)  # fmt: skip
