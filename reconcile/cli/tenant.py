"""export, teardown and the apply lock: bringing a tenant under management and back."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer

from reconcile.apply.carry import ApplyResult
from reconcile.apply.guards import Override, check_teardown
from reconcile.apply.journal import Journal
from reconcile.apply.progress import Progress
from reconcile.apply.teardown import TeardownOptions, apply_teardown, teardown_plan
from reconcile.cli.applying import _ProgressView, _report, _unused
from reconcile.cli.common import (
    ForceOption,
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
    _with_client,
    app,
    lock_app,
)
from reconcile.errors import ReconcileError
from reconcile.export.exporter import ExportOptions, ExportResult, Selection, export_profiles
from reconcile.plan.value import Plan
from reconcile.report.render import render
from reconcile.settings import Settings, Target, resolve_target
from reconcile.tenant.client import OmneoClient
from reconcile.tenant.lock import Holder, TenantLock, break_lock, read_lock


@lock_app.command("status")
@_reported
def lock_status(ctx: typer.Context, tenant: TenantOption = None) -> None:
    """Show who holds the tenant's apply lock, if anyone.

    Example: reconcile lock status --tenant staging
    """
    settings = _settings(ctx)
    target = resolve_target(settings, tenant, os.environ)
    current = asyncio.run(_with_client(target, lambda c: read_lock(c, settings.owner_handle)))
    typer.echo(f"locked: {current.describe()}" if current else "not locked")


@lock_app.command("break")
@_reported
def lock_break(
    ctx: typer.Context,
    reason: Annotated[
        str, typer.Option("--reason", help="Why the lock is stale (printed for the record).")
    ],
    tenant: TenantOption = None,
) -> None:
    """Remove a stale apply lock (its holder died); the holder's journal allows --resume.

    Example: reconcile lock break --reason "CI runner killed" --tenant staging
    """
    settings = _settings(ctx)
    target = resolve_target(settings, tenant, os.environ)
    if not reason.strip():
        raise typer.BadParameter("say why the lock is stale", param_hint="--reason")
    broken = asyncio.run(_with_client(target, lambda c: break_lock(c, settings.owner_handle)))
    if broken is None:
        typer.echo("not locked: nothing to break", err=True)
        return
    typer.echo(f"Broke the apply lock {broken.describe()} (reason: {reason.strip()})", err=True)


@app.command("export")
@_reported
def export_command(
    ctx: typer.Context,
    tenant: TenantOption = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="Folder to export into (default profiles.d/).")
    ] = None,
    filters: Annotated[
        list[str] | None, typer.Option("--filter", help="FIELD=VALUE, e.g. last_name=Smith.")
    ] = None,
    tags: Annotated[list[str] | None, typer.Option("--tag", help="Profiles with this tag.")] = None,
    identity_handle: Annotated[
        str | None, typer.Option("--identity-handle", help="Profiles with an identity of HANDLE.")
    ] = None,
    search: Annotated[
        str | None, typer.Option("--search", help="Omneo's fuzzy search (selection only).")
    ] = None,
    split: Annotated[
        str, typer.Option("--split", help="One file per: profile, tag, letter, or none.")
    ] = "profile",
    key_template: Annotated[
        str | None, typer.Option("--key-template", help="e.g. '{first_name}-{last_name}'.")
    ] = None,
    key_identity: Annotated[
        str | None, typer.Option("--key-identity", help="Key from this identity's identifier.")
    ] = None,
    page_size: Annotated[int, typer.Option("--page-size", min=1, max=500)] = 100,
    var: VarOption = None,
    vars_file: VarsFile = None,
) -> None:
    """Write the tenant's profiles as profiles.d/ files, ready to adopt with plan and apply.

    Example: reconcile export --tag vip --split tag && reconcile plan
    """
    settings = _settings(ctx)
    target = resolve_target(settings, tenant, os.environ)
    profiles_dir = settings.path(settings.profiles_dir)
    folder = out or profiles_dir
    inside = folder.resolve().is_relative_to(profiles_dir.resolve())
    if key_identity and key_template:
        raise typer.BadParameter("give --key-template or --key-identity, not both")
    if split not in ("profile", "tag", "letter", "none"):
        raise typer.BadParameter(f"unknown --split {split!r}; use profile, tag, letter or none")
    options = ExportOptions(
        out=folder,
        scan_root=profiles_dir if inside else folder,
        tenant=target.name,
        owner_handle=settings.owner_handle,
        phone_region=settings.phone_region,
        selection=Selection(
            filters=tuple(_pair(f) for f in filters or []),
            tags=tuple(tags or []),
            identity_handle=identity_handle,
            search=search,
        ),
        split=split,
        key_template=f"{{identity:{key_identity}}}" if key_identity else key_template,
        page_size=page_size,
        variables=_variables(var, vars_file),
    )
    with _Progress("Exporting") as progress:
        result = asyncio.run(_export(target, options, progress.update))
    _report_export(result, folder)


def _pair(text: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep:
        raise typer.BadParameter(f"--filter {text!r}: use FIELD=VALUE")
    return name.strip(), value.strip()


class _Progress:
    """A progress bar on stderr, sized once the first page says how many profiles there are."""

    def __init__(self, label: str) -> None:
        self._label = label
        self._bar: Any = None
        self._done = 0

    def __enter__(self) -> _Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.__exit__(*exc)

    def update(self, done: int, total: int) -> None:
        if self._bar is None:
            self._bar = typer.progressbar(length=total, label=self._label, file=sys.stderr)
            self._bar.__enter__()
        self._bar.update(done - self._done)
        self._done = done


async def _export(
    target: Target, options: ExportOptions, on_progress: Callable[[int, int], None]
) -> ExportResult:
    async with OmneoClient.open(target) as client:
        return await export_profiles(client, options, on_progress=on_progress)


def _report_export(result: ExportResult, folder: Path) -> None:
    written = result.written
    typer.echo(
        f"Exported {result.exported} profiles into {folder}: "
        f"{written.profiles_new} new, {written.profiles_updated} updated, "
        f"{written.profiles_unchanged} unchanged ({written.files_created} files created, "
        f"{written.files_updated} updated)",
        err=True,
    )
    if written.left_to_templates:
        count = len(written.left_to_templates)
        typer.echo(f"{count} profiles are declared by templates: left alone", err=True)
    for note in [*written.skipped, *(f"{u.key}: {u.field}: {u.reason}" for u in result.left_out)]:
        typer.echo(f"left out: {note}", err=True)
    if written.profiles_new:
        typer.echo("Next: reconcile plan  (expect only adoptions)", err=True)


@app.command()
@_reported
def teardown(
    ctx: typer.Context,
    tenant: TenantOption = None,
    purge: Annotated[bool, typer.Option("--purge", help="Purge instead of delete.")] = False,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Save the plan here; apply it later.")
    ] = None,
    auto_approve: Annotated[
        bool, typer.Option("--auto-approve", help="Apply without asking (for scripts).")
    ] = False,
    force: ForceOption = False,
    reason: ReasonOption = None,
    show_pii: ShowPii = False,
    var: VarOption = None,
    vars_file: VarsFile = None,
) -> None:
    """Delete (or purge) every profile this project manages on a test tenant.

    Unmanaged profiles are never touched. Example: reconcile teardown -o plans/teardown.json
    """
    settings = _settings(ctx)
    target = resolve_target(settings, tenant, os.environ)
    note = check_teardown(target, override=Override(force=force, reason=reason))
    if note:
        typer.echo(note, err=True)
    digest = _tree_digest(settings, _variables(var, vars_file), required=out is not None)
    made = asyncio.run(_teardown_plan(settings, target, purge=purge, inputs_digest=digest))
    typer.echo(render(made, "text", show_pii=show_pii), nl=False)
    if not made.has_changes:
        return
    if out is not None:
        made.save(out)
        flags = ["--allow-purge" if purge else "--allow-delete"]
        flags += [f"--var {pair}" for pair in var or []]
        flags += [f"--vars {vars_file}"] if vars_file else []
        command = f"reconcile apply {out} {' '.join(flags)}"
        typer.echo(f"Saved plan to {out}; apply it with: {command}", err=True)
        return
    _confirm(auto_approve)
    plan_file = _unused(
        settings.path(settings.plans_dir) / f"teardown-{_default_plan_name(target)}"
    )
    made.save(plan_file)
    journal = Journal.beside(plan_file)
    view = _ProgressView(sys.stderr.isatty())
    try:
        result = asyncio.run(_teardown_apply(target, made, journal, view))
    finally:
        view.close()
    _report(result, journal, plan_file)


async def _teardown_plan(
    settings: Settings, target: Target, *, purge: bool, inputs_digest: str
) -> Plan:
    options = TeardownOptions(
        tenant=target.url,
        owner_handle=settings.owner_handle,
        phone_region=settings.phone_region,
        purge=purge,
        inputs_digest=inputs_digest,
    )
    async with OmneoClient.open(target) as client:
        return await teardown_plan(client, options)


def _tree_digest(settings: Settings, variables: dict[str, object], *, required: bool) -> str:
    """The digest ``apply PLAN`` checks; a saved plan needs a profiles.d/ that loads."""
    try:
        return _declared(settings, variables).digest
    except ReconcileError:
        if required:
            raise
        return ""


async def _teardown_apply(
    target: Target, made: Plan, journal: Journal, view: Callable[[Progress], None]
) -> ApplyResult:
    async with OmneoClient.open(target) as client:
        holder = Holder.here(f"teardown ({journal.path.name})")
        async with TenantLock(client, made.owner_handle, holder=holder).held():
            return await apply_teardown(
                made, client, journal, concurrency=target.concurrency, on_progress=view
            )
