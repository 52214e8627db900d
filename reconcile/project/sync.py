"""``Project``: the synchronous face, each method one run of :class:`AsyncProject`'s coroutine.

>>> project = Project(".")                 # doctest: +SKIP
>>> project.apply(project.plan())          # doctest: +SKIP
"""

from __future__ import annotations

import asyncio
import os
import signal
import threading
from collections.abc import Callable, Coroutine, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal, Self, TypeVar

from reconcile.errors import ConfigError
from reconcile.plan.value import Plan
from reconcile.profiles.schema import profile_file_schema
from reconcile.project.aio import AsyncProject, Notice, Progress
from reconcile.project.applying import Stop
from reconcile.project.config import Kind
from reconcile.project.results import ApplyResult, ExportResult, LockStatus, ValidationResult
from reconcile.settings import Settings, Target

T = TypeVar("T")


def _run(work: Coroutine[Any, Any, T]) -> T:
    """Run one of :class:`AsyncProject`'s coroutines to its end; see :func:`run_interruptibly`."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        pass  # none runs: this call runs one, below, so its errors are not chained to this
    else:
        work.close()
        raise ConfigError("Project blocks: inside an event loop, use AsyncProject and await it")
    return run_interruptibly(work)


def run_interruptibly(work: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run(work)``, where Ctrl-C cancels ``work`` between callbacks, never inside one.

    asyncio.run's own handler cancels from inside whichever callback happens to run, so it can
    cancel a future that callback is resolving, and asyncio then prints a traceback. Here the
    event loop takes the signal and cancels as a callback of its own; a second Ctrl-C stops at
    once. Either way the caller gets KeyboardInterrupt, as from asyncio.run.

    >>> run_interruptibly(asyncio.sleep(0, "done"))
    'done'
    """
    takes_signal = (
        threading.current_thread() is threading.main_thread()
        and signal.getsignal(signal.SIGINT) is signal.default_int_handler
    )
    return asyncio.run(_cancelled_on_interrupt(work) if takes_signal else work)


async def _cancelled_on_interrupt(work: Coroutine[Any, Any, T]) -> T:
    loop = asyncio.get_running_loop()
    task = asyncio.current_task()
    interrupts = 0

    def on_interrupt() -> None:
        nonlocal interrupts
        interrupts += 1
        if interrupts > 1 or task is None:
            raise KeyboardInterrupt
        task.cancel()

    try:
        loop.add_signal_handler(signal.SIGINT, on_interrupt)
    except NotImplementedError:  # an event loop without signal handlers (Windows)
        return await work
    try:
        return await work
    except asyncio.CancelledError:
        if interrupts:
            raise KeyboardInterrupt from None
        raise
    finally:
        loop.remove_signal_handler(signal.SIGINT)


class Project:
    """A reconcile project folder, with a method for every command of ``reconcile``.

    The same options, defaults and configuration as the command line: a plan made here equals
    the plan ``reconcile plan`` makes, and :meth:`apply` runs every check ``reconcile apply``
    runs. See :class:`AsyncProject` (the same methods as coroutines) for each method.
    """

    def __init__(
        self,
        path: str | os.PathLike[str] = ".",
        *,
        tenant: str | None = None,
        env: Mapping[str, str] | None = None,
    ) -> None:
        self.aio = AsyncProject(path, tenant=tenant, env=env)

    @classmethod
    def open(
        cls,
        path: str | os.PathLike[str] = ".",
        tenant: str | None = None,
        env: Mapping[str, str] | None = None,
    ) -> Self:
        return cls(path, tenant=tenant, env=env)

    @property
    def path(self) -> Path:
        return self.aio.path

    @property
    def settings(self) -> Settings:
        return self.aio.settings

    def tenant_names(self) -> list[str]:
        return self.aio.tenant_names()

    def tenant_kind(self, tenant: str | None = None) -> Kind:
        return self.aio.tenant_kind(tenant)

    def target(self, tenant: str | None = None) -> Target:
        return self.aio.target(tenant)

    def new_plan_file(self, tenant: str | None = None, *, prefix: str = "") -> Path:
        return self.aio.new_plan_file(tenant, prefix=prefix)

    def saved(self, plan: Plan) -> Path | None:
        return self.aio.saved(plan)

    def validate(self, *, vars: Mapping[str, object] | None = None) -> ValidationResult:
        return self.aio.validated(vars)

    def schema(self) -> dict[str, object]:
        return profile_file_schema()

    def plan(
        self,
        *,
        tenant: str | None = None,
        allow_delete: bool = False,
        allow_purge: bool = False,
        targets: Sequence[str] = (),
        excludes: Sequence[str] = (),
        shard: str | None = None,
        allow_conflicts: bool = False,
        adopt: bool = True,
        force: bool = False,
        reason: str | None = None,
        vars: Mapping[str, object] | None = None,
        out: Path | Literal[False] | None = None,
        on_notice: Notice | None = None,
    ) -> Plan:
        return _run(
            self.aio.plan(
                tenant=tenant, allow_delete=allow_delete, allow_purge=allow_purge,
                targets=targets, excludes=excludes, shard=shard, allow_conflicts=allow_conflicts,
                adopt=adopt, force=force, reason=reason, vars=vars, out=out, on_notice=on_notice,
            )
        )  # fmt: skip

    def show(
        self, plan: Plan | Path | Sequence[Plan | Path], format: str = "text", *,
        reveal_pii: bool = False, color: bool = False,
    ) -> str:  # fmt: skip
        return self.aio.shown(plan, format, reveal_pii=reveal_pii, color=color)

    def merged(self, plans: Sequence[Plan | Path]) -> Plan:
        return self.aio.merged(plans)

    def apply(
        self,
        plan: Plan | Path | None = None,
        *,
        tenant: str | None = None,
        resume: bool = False,
        force: bool = False,
        reason: str | None = None,
        fail_fast: bool = False,
        bulk: bool | None = None,
        strict: bool = False,
        concurrency: int | None = None,
        rps: float | None = None,
        lock_timeout: float = 0.0,
        allow_delete: bool = False,
        allow_purge: bool = False,
        vars: Mapping[str, object] | None = None,
        progress: Progress | None = None,
        stop: Stop | None = None,
        out: Path | None = None,
        holder: str | None = None,
        review: Callable[[Plan], None] | None = None,
        confirm: Callable[[Plan], bool] | None = None,
        on_notice: Notice | None = None,
    ) -> ApplyResult:
        return _run(
            self.aio.apply(
                plan, tenant=tenant, resume=resume, force=force, reason=reason,
                fail_fast=fail_fast, bulk=bulk, strict=strict, concurrency=concurrency, rps=rps,
                lock_timeout=lock_timeout, allow_delete=allow_delete, allow_purge=allow_purge,
                vars=vars, progress=progress, stop=stop, out=out, holder=holder, review=review,
                confirm=confirm, on_notice=on_notice,
            )
        )  # fmt: skip

    def export(
        self,
        *,
        tenant: str | None = None,
        out: Path | None = None,
        filters: Iterable[str | tuple[str, str]] = (),
        tag: str | Sequence[str] | None = None,
        identity_handle: str | None = None,
        search: str | None = None,
        split: str = "profile",
        key_template: str | None = None,
        key_identity: str | None = None,
        page_size: int = 100,
        vars: Mapping[str, object] | None = None,
        progress: Progress | None = None,
    ) -> ExportResult:
        return _run(
            self.aio.export(
                tenant=tenant, out=out, filters=filters, tag=tag, identity_handle=identity_handle,
                search=search, split=split, key_template=key_template, key_identity=key_identity,
                page_size=page_size, vars=vars, progress=progress,
            )
        )  # fmt: skip

    def teardown(
        self,
        *,
        tenant: str | None = None,
        purge: bool = False,
        force: bool = False,
        reason: str | None = None,
        out: Path | Literal[False] | None = None,
        vars: Mapping[str, object] | None = None,
        on_notice: Notice | None = None,
    ) -> Plan:
        return _run(
            self.aio.teardown(
                tenant=tenant, purge=purge, force=force, reason=reason, out=out, vars=vars,
                on_notice=on_notice,
            )
        )  # fmt: skip

    def lock_status(self, *, tenant: str | None = None) -> LockStatus | None:
        return _run(self.aio.lock_status(tenant=tenant))

    def lock_break(self, *, reason: str, tenant: str | None = None) -> LockStatus | None:
        return _run(self.aio.lock_break(reason=reason, tenant=tenant))


_DOCUMENTED = (
    *("validate", "schema", "plan", "show", "apply", "export", "teardown", "lock_status"),
    *("lock_break", "tenant_names", "tenant_kind", "target", "new_plan_file", "saved"),
)
for _name in _DOCUMENTED:
    getattr(Project, _name).__doc__ = getattr(AsyncProject, _name).__doc__
