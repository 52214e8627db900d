"""export, teardown and the apply lock: bringing a tenant under management and back."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

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
    confirm,
    interrupted,
    lock_app,
    notice,
    project_of,
    report_apply,
    usage_errors,
    variables,
)
from reconcile.project import ExportResult, apply_command, resume_command


@lock_app.command("status")
def lock_status(ctx: typer.Context, tenant: TenantOption = None) -> None:
    """Show who holds the tenant's apply lock, if anyone.

    Example: reconcile lock status --tenant staging
    """
    current = project_of(ctx).lock_status(tenant=tenant)
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
    with usage_errors():  # an unknown tenant is named first, then a blank reason
        broken = project_of(ctx).lock_break(reason=reason, tenant=tenant)
    if broken is None:
        notice("not locked: nothing to break")
        return
    notice(f"Broke the apply lock {broken.describe()} (reason: {reason.strip()})")


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
    project = project_of(ctx)
    view = ProgressView("export")
    try:
        with usage_errors():
            result = project.export(
                tenant=tenant, out=out, filters=filters or (), tag=tags or (),
                identity_handle=identity_handle, search=search, split=split,
                key_template=key_template, key_identity=key_identity, page_size=page_size,
                vars=variables(var, vars_file), progress=view,
            )  # fmt: skip
    finally:
        view.close()
    _report_export(result, out or project.settings.path(project.settings.profiles_dir))


def _report_export(result: ExportResult, folder: Path) -> None:
    written = result.written
    notice(
        f"Exported {result.exported} profiles into {folder}: "
        f"{written.profiles_new} new, {written.profiles_updated} updated, "
        f"{written.profiles_unchanged} unchanged ({written.files_created} files created, "
        f"{written.files_updated} updated)"
    )
    if written.left_to_templates:
        count = len(written.left_to_templates)
        notice(f"{count} profiles are declared by templates: left alone")
    for note in [*written.skipped, *(f"{u.key}: {u.field}: {u.reason}" for u in result.left_out)]:
        notice(f"left out: {note}")
    if written.profiles_new:
        notice("Next: reconcile plan  (expect only adoptions)")


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
    project = project_of(ctx)
    notes: list[str] = []
    made = project.teardown(
        tenant=tenant, purge=purge, force=force, reason=reason, out=out or False,
        vars=variables(var, vars_file), on_notice=notes.append,
    )  # fmt: skip
    typer.echo(project.show(made, "text", reveal_pii=show_pii), nl=False)
    if not made.has_changes:
        return
    for note in notes:  # the production guard, passed by --force --reason
        notice(note)
    # Applying a teardown plan needs its flag and --force: removing every managed profile is
    # unsafe by design; its tenant and variables are in the plan.
    if out is not None:
        command = apply_command(out, *_teardown_flags(purge), tenant=tenant, root=project.path)
        notice(f"Saved plan to {out}; apply it with: {command}")
        return
    path = project.new_plan_file(tenant, prefix="teardown-")
    resume = resume_command(
        path, allow_delete=not purge, allow_purge=purge, force=True, reason=reason,
        tenant=tenant, root=project.path,
    )  # fmt: skip
    view = ProgressView("apply")
    try:
        result = project.apply(
            made, tenant=tenant, allow_delete=not purge, allow_purge=purge, force=True,
            reason=reason, out=path, holder=f"teardown ({path.name})", progress=view,
            confirm=lambda _: confirm(auto_approve), on_notice=notice,
        )  # fmt: skip
    except KeyboardInterrupt:
        if not path.exists():
            raise
        raise interrupted(path.with_name(f"{path.stem}.journal.jsonl"), resume) from None
    finally:
        view.close()
    report_apply(result, resume)


def _teardown_flags(purge: bool) -> tuple[str, ...]:
    """What applying a teardown plan needs; its tenant and variables are in the plan."""
    return ("--allow-purge" if purge else "--allow-delete", "--force")
