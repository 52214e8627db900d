"""apply: carry out a reviewed plan, with progress, a journal and the tenant lock."""

from __future__ import annotations

import asyncio
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer

from reconcile.apply.carry import ApplyOptions, ApplyResult, carry_out
from reconcile.apply.guards import Override, check_bulk
from reconcile.apply.journal import Journal
from reconcile.apply.progress import Progress
from reconcile.cli.common import (
    AllowDelete,
    AllowPurge,
    ReasonOption,
    ShowPii,
    TenantOption,
    VarOption,
    VarsFile,
    _confirm,
    _declared,
    _default_plan_name,
    _reported,
    _settings,
    _variables,
    app,
)
from reconcile.cli.planning import _guard_creates, _make_plan
from reconcile.errors import ApplyError, ConflictError, PlanError
from reconcile.plan.value import Plan
from reconcile.report.render import render
from reconcile.settings import Settings, Target, resolve_target
from reconcile.tenant.client import OmneoClient
from reconcile.tenant.lock import Holder, TenantLock


@app.command()
@_reported
def apply(
    ctx: typer.Context,
    plan_file: Annotated[Path | None, typer.Argument(help="A saved, reviewed plan.")] = None,
    tenant: TenantOption = None,
    auto_approve: Annotated[
        bool, typer.Option("--auto-approve", help="Apply without asking (for scripts).")
    ] = False,
    allow_delete: AllowDelete = False,
    allow_purge: AllowPurge = False,
    force: Annotated[bool, typer.Option("--force", help="Apply a plan marked unsafe.")] = False,
    resume: Annotated[
        bool, typer.Option("--resume", help="Finish an interrupted apply of PLAN_FILE.")
    ] = False,
    fail_fast: Annotated[
        bool, typer.Option("--fail-fast", help="Stop starting changes after the first failure.")
    ] = False,
    bulk: Annotated[
        bool, typer.Option("--bulk", help="Seed: creates and adoptions via POST /profiles/batch.")
    ] = False,
    concurrency: Annotated[
        int | None, typer.Option("--concurrency", min=1, max=64, help="Requests in flight (8).")
    ] = None,
    rps: Annotated[
        float | None, typer.Option("--rps", min=0.1, help="Requests per second (tenant's).")
    ] = None,
    lock_timeout: Annotated[
        float,
        typer.Option("--lock-timeout", min=0, help="Seconds to wait for another apply's lock."),
    ] = 0.0,
    show_pii: ShowPii = False,
    reason: ReasonOption = None,
    var: VarOption = None,
    vars_file: VarsFile = None,
) -> None:
    """Carry out a saved plan, or plan now and apply after confirmation.

    Example: reconcile apply plans/release.json --concurrency 16 --rps 20
    """
    settings = _settings(ctx)
    target = resolve_target(settings, tenant, os.environ)
    variables = _variables(var, vars_file)
    limits = {"concurrency": concurrency, "rps": rps}
    target = target.model_copy(update={k: v for k, v in limits.items() if v is not None})
    if bulk:
        _guard_bulk(target, force, reason)
    if plan_file is not None:
        reviewed = Plan.load(plan_file)
        _guard_creates(target, reviewed, force, reason)
    elif resume:
        raise PlanError("--resume needs the plan file: reconcile apply --resume plans/NAME.json")
    else:
        reviewed = asyncio.run(
            _make_plan(settings, target, allow_delete, allow_purge, variables=variables)
        )
        typer.echo(render(reviewed, "text", show_pii=show_pii), nl=False)
        if reviewed.conflicts:
            raise ConflictError(
                f"{len(reviewed.conflicts)} conflicts: resolve them before applying"
            )
        if not reviewed.has_changes:
            return
        _guard_creates(target, reviewed, force, reason)
        _confirm(auto_approve)
        plan_file = _unused(settings.path(settings.plans_dir) / _default_plan_name(target))
        reviewed.save(plan_file)
        typer.echo(f"Saved plan to {plan_file}", err=True)
    if reviewed.tenant != target.url:
        raise PlanError(f"the plan was made for {reviewed.tenant}, not {target.url}")
    options = ApplyOptions(
        allow_delete=allow_delete,
        allow_purge=allow_purge,
        force=force,
        resume=resume,
        fail_fast=fail_fast,
        bulk=bulk,
        concurrency=target.concurrency,
    )
    journal = Journal.beside(plan_file)
    view = _ProgressView(sys.stderr.isatty())
    lock = _LockRequest(holder=Holder.here(str(plan_file)), timeout=lock_timeout)
    try:
        result = asyncio.run(
            _apply(
                settings, target, reviewed, journal, options, view, variables=variables, lock=lock
            )
        )
    except KeyboardInterrupt:
        raise ApplyError(
            f"interrupted; {journal.path} records what was done: "
            f"finish with `reconcile apply --resume {plan_file}`"
        ) from None
    finally:
        view.close()
    _report(result, journal, plan_file)


def _unused(path: Path) -> Path:
    """``path``, or ``path`` with a counter when a plan (and its journal) already has the name."""
    candidate, n = path, 1
    while candidate.exists():
        n += 1
        candidate = path.with_name(f"{path.stem}-{n}{path.suffix}")
    return candidate


class _ProgressView:
    """A redrawn bar on a terminal; a plain line every few seconds otherwise."""

    def __init__(self, tty: bool) -> None:
        self.tty = tty
        self.shown = 0.0
        self.drawn = False

    def __call__(self, progress: Progress) -> None:
        now = time.monotonic()
        last = progress.finished >= progress.total
        if not last and now - self.shown < (0.1 if self.tty else 5.0):
            return
        self.shown = now
        line = _progress_line(progress)
        if self.tty:
            width = 24
            filled = width * progress.finished // max(1, progress.total)
            bar = "#" * filled + "-" * (width - filled)
            typer.echo(f"\r[{bar}] {line}\x1b[K", nl=False, err=True)
            self.drawn = True
        else:
            typer.echo(f"apply: {line}", err=True)

    def close(self) -> None:
        if self.drawn:
            typer.echo("", err=True)


def _progress_line(progress: Progress) -> str:
    counts = ", ".join(f"{action} {n}" for action, n in sorted(progress.done.items()))
    eta = progress.eta
    left = f", ETA {int(eta) // 60}:{int(eta) % 60:02d}" if eta is not None and eta >= 1 else ""
    return (
        f"{progress.finished}/{progress.total} ({counts or 'none done'}; "
        f"{progress.failed} failed), {progress.rate:.1f}/s{left}"
    )


def _report(result: ApplyResult, journal: Journal, plan_file: Path) -> None:
    shown = result.succeeded if len(result.succeeded) <= 20 else ()
    for success in shown:
        typer.echo(f"ok: {success.action} {success.key}", err=True)
    for failure in result.failed:
        typer.echo(f"failed: {failure.action} {failure.key}: {failure.error}", err=True)
    typer.echo(f"Apply complete: {result.summary()}", err=True)
    if result.throttled or result.retries:
        typer.echo(
            f"{result.api_calls} API calls, {result.throttled} throttled (429), "
            f"{result.retries} retried",
            err=True,
        )
    typer.echo(f"Journal: {journal.path}", err=True)
    if not result.complete:
        typer.echo(f"Finish it with: reconcile apply --resume {plan_file}", err=True)
        raise ApplyError(
            f"{len(result.failed)} changes failed, {len(result.not_attempted)} not attempted"
        )


async def _apply(
    settings: Settings,
    target: Target,
    plan: Plan,
    journal: Journal,
    options: ApplyOptions,
    on_progress: Callable[[Progress], None],
    variables: dict[str, object] | None = None,
    lock: _LockRequest | None = None,
) -> ApplyResult:
    declared = _declared(settings, variables)
    async with OmneoClient.open(target) as client:
        if lock is None:
            return await carry_out(
                plan, declared, client, journal, options, on_progress=on_progress
            )
        tenant_lock = TenantLock(
            client, settings.owner_handle, holder=lock.holder, timeout=lock.timeout
        )
        async with tenant_lock.held():
            if tenant_lock.taken_over is not None:
                stale = tenant_lock.taken_over.describe()
                typer.echo(f"Took over a stale apply lock ({stale})", err=True)
            return await carry_out(
                plan, declared, client, journal, options, on_progress=on_progress
            )


class _LockRequest:
    """Who asks for the tenant's apply lock, and how long to wait for it."""

    def __init__(self, holder: Holder, timeout: float) -> None:
        self.holder = holder
        self.timeout = timeout


def _guard_bulk(target: Target, force: bool, reason: str | None) -> None:
    note = check_bulk(target, override=Override(force=force, reason=reason))
    if note:
        typer.echo(note, err=True)
