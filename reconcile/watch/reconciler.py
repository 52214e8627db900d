"""What a watch cycle needs from the library, as one small interface, and its implementation.

:class:`Reconciler` is the seam between the agent and the library: validate, plan, show, apply
(stoppable) and the lock's holder, for one tenant of one checkout of the watched repository.
:class:`LibraryReconciler` implements it over the library's stage functions, with the same
checks as ``reconcile apply`` (``apply_reviewed``'s preflight, the project's policy, the tenant's
lock, the journal beside the saved plan).

The checkout is the commit's files; what the agent keeps (plans, journals, the embedded sandbox
and the parse cache) lives in the agent's state folder, never in the checkout, which is replaced
by the next commit.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol, TypeVar

from pydantic import BaseModel, ConfigDict

from reconcile.apply.carry import ApplyOptions
from reconcile.apply.journal import Journal
from reconcile.apply.outcomes import ApplyResult
from reconcile.apply.session import locked, preflight
from reconcile.apply.trust import ProjectPolicy
from reconcile.errors import ProfileError
from reconcile.plan.build import build_plan
from reconcile.plan.options import PlanOptions
from reconcile.plan.value import Plan
from reconcile.profiles.loader import DeclaredProfiles, load_profiles
from reconcile.report.render import Format, render
from reconcile.settings import Settings, Target, load_settings, resolve_target
from reconcile.tenant.client import OmneoClient
from reconcile.tenant.lock import Holder, read_lock
from reconcile.watch.config import Kind, WatchPolicy

T = TypeVar("T")


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
    journal: Path


class Reconciler(Protocol):
    """One tenant of one checkout, as a watch cycle sees it."""

    @property
    def kind(self) -> Kind: ...

    @property
    def policy(self) -> WatchPolicy: ...

    def validate(self) -> Validation: ...

    def plan(self, *, allow_delete: bool, allow_purge: bool) -> Plan: ...

    def show(self, plan: Plan, fmt: Format) -> str: ...

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


class LibraryReconciler:
    """:class:`Reconciler` over the library's functions (plan, verify, lock, journal)."""

    def __init__(self, checkout: Path, tenant: str, *, state: Path, env: Mapping[str, str]) -> None:
        self.tenant = tenant
        self.state = state
        read = load_settings(checkout)
        self.settings: Settings = read.model_copy(
            update={
                "state_dir": state.resolve(),
                "plans_dir": (state / "watch" / "plans").resolve(),
            }
        )
        self.target: Target = resolve_target(self.settings, tenant, env)
        configured = self.settings.tenants.get(tenant)
        self._policy = configured.watch if configured is not None else WatchPolicy()
        self._declared: DeclaredProfiles | None = None
        self._runner = asyncio.Runner()
        self._stack = contextlib.AsyncExitStack()
        self._client: OmneoClient | None = None

    @property
    def kind(self) -> Kind:
        return self.target.kind

    @property
    def policy(self) -> WatchPolicy:
        return self._policy

    def validate(self) -> Validation:
        try:
            declared = self._load()
        except ProfileError as exc:
            return Validation(problems=tuple(str(p) for p in exc.problems) or (str(exc),))
        return Validation(profiles=len(declared.profiles))

    def plan(self, *, allow_delete: bool, allow_purge: bool) -> Plan:
        declared = self._load()
        options = PlanOptions(
            tenant=self.target.url,
            owner_handle=self.settings.owner_handle,
            phone_region=self.settings.phone_region,
            threshold=self.settings.delete_threshold,
            threshold_floor=self.settings.threshold_floor,
            tenant_name=self.target.name,
            variables={},
            allow_delete=allow_delete,
            allow_purge=allow_purge,
        )

        return self._run(lambda client: build_plan(declared, client, options))

    def show(self, plan: Plan, fmt: Format) -> str:
        return render(plan, fmt)

    def apply(
        self,
        plan: Plan | Path,
        *,
        resume: bool,
        lock_timeout: float,
        stop: threading.Event,
    ) -> Applied:
        key = self.settings.plan_key({})
        if isinstance(plan, Path):
            plan_file, reviewed = plan, Plan.load(plan, key=key)
        else:
            plan_file = self._plan_file(plan)
            plan.sealed(key).save(plan_file, key=key)
            reviewed = Plan.load(plan_file, key=key)
        options = ApplyOptions(
            allow_delete=reviewed.options.allow_delete,
            allow_purge=reviewed.options.allow_purge,
            lock_timeout=lock_timeout,
            resume=resume,
            concurrency=self.target.concurrency,
            policy=ProjectPolicy.of(self.settings),
        )
        preflight(reviewed, self.target, options)
        journal = Journal.beside(plan_file)
        declared = self._load()
        holder = Holder.here(f"reconcile watch: {plan_file.name}")

        async def applying(client: OmneoClient) -> ApplyResult | None:
            work = locked(reviewed, declared, client, journal, options,
                          holder=holder, on_notice=lambda _note: None)  # fmt: skip
            return await _stoppable(work, stop)

        result = self._run(applying)
        return Applied(
            result=result, stopped=result is None, plan_file=plan_file, journal=journal.path
        )

    def lock_holder(self) -> str | None:
        info = self._run(lambda client: read_lock(client, self.settings.owner_handle))
        return None if info is None else info.describe()

    def usage(self) -> Usage:
        client = self._client
        if client is None:
            return Usage()
        return Usage(calls=client.calls, retries=client.retries, throttled=client.throttled)

    def close(self) -> None:
        """Close the client and the event loop this reconciler's calls ran in."""
        if self._client is not None:
            self._runner.run(self._stack.aclose())
            self._client = None
        self._runner.close()

    def _run(self, work: Callable[[OmneoClient], Awaitable[T]]) -> T:
        """Run ``work`` with the one client of this reconciler (opened on first use: opening
        an HTTP client costs about a tenth of a second, three times a cycle otherwise)."""

        async def with_client() -> T:
            if self._client is None:
                self._client = await self._stack.enter_async_context(OmneoClient.open(self.target))
            return await work(self._client)

        return self._runner.run(with_client())

    def _load(self) -> DeclaredProfiles:
        if self._declared is None:
            settings = self.settings
            self._declared = load_profiles(
                settings.path(settings.profiles_dir),
                phone_region=settings.phone_region,
                cache_dir=settings.path(settings.state_dir) / "cache",
                owner_handle=settings.owner_handle,
                links_outside=settings.follow_symlinks_outside,
            )
        return self._declared

    def _plan_file(self, plan: Plan) -> Path:
        """A new file for each apply (a journal belongs to one run of one plan)."""
        folder = self.settings.path(self.settings.plans_dir)
        folder.mkdir(parents=True, exist_ok=True)
        stem = (
            f"{self.target.name}-{datetime.now(UTC):%Y%m%d-%H%M%S}-{plan.computed_checksum()[:8]}"
        )
        path = folder / f"{stem}.json"
        n = 1
        while path.exists():
            n += 1
            path = folder / f"{stem}-{n}.json"
        return path


async def _stoppable(
    work: Coroutine[Any, Any, ApplyResult], stop: threading.Event
) -> ApplyResult | None:
    """Run ``work`` until it ends, or until ``stop`` is set: then it is cancelled (the lock is
    released on the way out, and the journal holds every change that was started) and the
    answer is None."""
    task = asyncio.ensure_future(work)
    while not task.done():
        if stop.is_set():
            task.cancel()
            try:
                await task
            except asyncio.CancelledError:
                return None
            break
        await asyncio.wait({task}, timeout=0.1)
    return task.result()
