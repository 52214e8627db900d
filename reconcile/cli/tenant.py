"""export, teardown and the apply lock: bringing a tenant under management and back."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Annotated, Any

import typer

from reconcile.apply.carry import ApplyOptions
from reconcile.apply.guards import Override, check_teardown
from reconcile.apply.journal import Journal
from reconcile.apply.teardown import TeardownOptions, apply_teardown, teardown_plan
from reconcile.cli.common import (
    AutoApprove,
    ForceOption,
    ProgressView,
    ReasonOption,
    ShowPii,
    TenantOption,
    VarOption,
    VarsFile,
    app,
    apply_command,
    confirm,
    declared_profiles,
    interrupted,
    lock_app,
    new_plan_file,
    notice,
    report_apply,
    resume_command,
    settings_of,
    template_variables,
    with_client,
)
from reconcile.errors import ReconcileError
from reconcile.export.exporter import ExportOptions, ExportResult, Selection, export_profiles
from reconcile.plan.value import Plan
from reconcile.report.render import render
from reconcile.settings import Settings, Target, resolve_target
from reconcile.tenant.lock import break_lock, read_lock


@lock_app.command("status")
def lock_status(ctx: typer.Context, tenant: TenantOption = None) -> None:
    """Show who holds the tenant's apply lock, if anyone.

    Example: reconcile lock status --tenant staging
    """
    settings = settings_of(ctx)
    target = resolve_target(settings, tenant, os.environ)
    current = asyncio.run(with_client(target, lambda c: read_lock(c, settings.owner_handle)))
    state = "not locked" if current is None else "broken" if current.broken else "locked"
    typer.echo(f"{state}: {current.describe()}" if current else state)


@lock_app.command("break")
def lock_break(
    ctx: typer.Context,
    reason: Annotated[
        str,
        typer.Option(
            "--reason", help="Why it is broken (recorded on the lock, shown to its holder)."
        ),
    ],
    tenant: TenantOption = None,
) -> None:
    """Break the apply lock: its holder stops writing within seconds; the next apply takes it.

    Example: reconcile lock break --reason "CI runner killed" --tenant staging
    """
    settings = settings_of(ctx)
    target = resolve_target(settings, tenant, os.environ)
    if not reason.strip():
        raise typer.BadParameter("say why the lock is stale", param_hint="--reason")
    why = reason.strip()
    broken = asyncio.run(
        with_client(target, lambda c: break_lock(c, settings.owner_handle, reason=why))
    )
    if broken is None:
        typer.echo("not locked: nothing to break", err=True)
        return
    typer.echo(f"Broke the apply lock {broken.describe()} (reason: {why})", err=True)


@app.command("export")
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
    settings = settings_of(ctx)
    target = resolve_target(settings, tenant, os.environ)
    pairs = tuple(_pair(f) for f in filters or [])
    selection = Selection(filters=pairs, tags=tuple(tags or []), identity_handle=identity_handle,
                          search=search)  # fmt: skip
    options = _export_options(
        settings,
        target,
        out,
        selection,
        split=split,
        key_template=_key_template(key_template, key_identity),
        page_size=page_size,
        variables=template_variables(var, vars_file),
    )
    view = ProgressView("export")
    try:
        result = asyncio.run(
            with_client(target, lambda c: export_profiles(c, options, on_progress=view.counted))
        )
    finally:
        view.close()
    _report_export(result, options.out)


def _export_options(
    settings: Settings, target: Target, out: Path | None, selection: Selection, **rest: Any
) -> ExportOptions:
    if rest["split"] not in ("profile", "tag", "letter", "none"):
        split = rest["split"]
        raise typer.BadParameter(f"unknown --split {split!r}; use profile, tag, letter or none")
    profiles_dir = settings.path(settings.profiles_dir)
    folder = out or profiles_dir
    inside = folder.resolve().is_relative_to(profiles_dir.resolve())
    return ExportOptions(
        out=folder,
        scan_root=profiles_dir if inside else folder,
        tenant=target.name,
        owner_handle=settings.owner_handle,
        phone_region=settings.phone_region,
        selection=selection,
        **rest,
    )


def _key_template(key_template: str | None, key_identity: str | None) -> str | None:
    if key_identity and key_template:
        raise typer.BadParameter("give --key-template or --key-identity, not both")
    return f"{{identity:{key_identity}}}" if key_identity else key_template


def _pair(text: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep:
        raise typer.BadParameter(f"--filter {text!r}: use FIELD=VALUE")
    return name.strip(), value.strip()


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
def teardown(
    ctx: typer.Context,
    tenant: TenantOption = None,
    purge: Annotated[bool, typer.Option("--purge", help="Purge instead of delete.")] = False,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Save the plan here; apply it later.")
    ] = None,
    auto_approve: AutoApprove = False,
    force: ForceOption = False,
    reason: ReasonOption = None,
    show_pii: ShowPii = False,
    var: VarOption = None,
    vars_file: VarsFile = None,
) -> None:
    """Delete (or purge) every profile this project manages on a test tenant.

    Unmanaged profiles are never touched. Example: reconcile teardown -o plans/teardown.json
    """
    settings = settings_of(ctx)
    target = resolve_target(settings, tenant, os.environ)
    override = Override(force=force, reason=reason)
    note = check_teardown(target, override=override)  # refused before anything is read
    variables = template_variables(var, vars_file)
    digest = _tree_digest(settings, variables, required=out is not None)
    made = asyncio.run(
        _teardown_plan(settings, target, purge=purge, inputs_digest=digest, variables=variables)
    )
    typer.echo(render(made, "text", show_pii=show_pii), nl=False)
    if not made.has_changes:
        return
    if out is not None:
        command = apply_command(out, *_teardown_flags(purge), tenant=tenant)
        _save_teardown(made, out, [note, command], settings.plan_key(os.environ))
        return
    confirm(auto_approve)
    plan_file = new_plan_file(settings, target, prefix="teardown-")
    made.save(plan_file, key=settings.plan_key(os.environ))
    _carry_teardown(made, target, plan_file, override, tenant, purge=purge)


def _carry_teardown(
    made: Plan, target: Target, plan_file: Path, override: Override, tenant: str | None, *,
    purge: bool,
) -> None:  # fmt: skip
    journal = Journal.beside(plan_file)
    view = ProgressView("apply")
    # apply resumes a teardown: a removal of every managed profile needs its flags and --force
    removal = ApplyOptions(
        allow_delete=not purge, allow_purge=purge, force=True, reason=override.reason
    )
    resume = resume_command(plan_file, removal, tenant=tenant)
    try:
        run = apply_teardown(
            made, target, journal, override=override, on_progress=view, on_notice=notice
        )
        result = asyncio.run(run)
    except KeyboardInterrupt:
        raise interrupted(journal.path, resume) from None
    finally:
        view.close()
    report_apply(result, journal.path, resume)


def _teardown_flags(purge: bool) -> tuple[str, ...]:
    """What applying a teardown plan needs; its tenant and variables are in the plan.

    --force: removing every managed profile is unsafe by design (apply/trust.py).
    """
    return ("--allow-purge" if purge else "--allow-delete", "--force")


def _save_teardown(made: Plan, out: Path, notes: list[str | None], key: bytes | None) -> None:
    made.save(out, key=key)
    note, command = notes
    if note:
        notice(note)
    notice(f"Saved plan to {out}; apply it with: {command}")


async def _teardown_plan(
    settings: Settings,
    target: Target,
    *,
    purge: bool,
    inputs_digest: str,
    variables: dict[str, object],
) -> Plan:
    options = TeardownOptions(
        tenant=target.url,
        tenant_name=target.name,
        variables=variables,
        owner_handle=settings.owner_handle,
        phone_region=settings.phone_region,
        purge=purge,
        inputs_digest=inputs_digest,
    )
    return await with_client(target, lambda client: teardown_plan(client, options))


def _tree_digest(settings: Settings, variables: dict[str, object], *, required: bool) -> str:
    """The digest ``apply PLAN`` checks; a saved plan needs a profiles.d/ that loads."""
    try:
        return declared_profiles(settings, variables).digest
    except ReconcileError:
        if required:
            raise
        return ""
