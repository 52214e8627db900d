"""validate, schema, plan and show: everything that reads and never writes."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from reconcile.apply.guards import Override, check_creates
from reconcile.cli.common import (
    AllowDelete,
    AllowPurge,
    ForceOption,
    FormatOption,
    ReasonOption,
    ShowPii,
    TenantOption,
    VarOption,
    VarsFile,
    app,
    apply_command,
    declared_loading,
    declared_profiles,
    long_lived,
    make_plan,
    new_plan_file,
    notice,
    report_format,
    settings_of,
    template_variables,
)
from reconcile.errors import ConflictError
from reconcile.plan.merge import merge_plans
from reconcile.plan.selectors import Selectors, parse_shard
from reconcile.plan.value import Plan
from reconcile.profiles.loader import skipped_files
from reconcile.profiles.schema import profile_file_schema_json
from reconcile.report.merged import render_merged
from reconcile.report.render import Format, render
from reconcile.settings import Target, resolve_target


@app.command()
def validate(
    ctx: typer.Context,
    var: VarOption = None,
    vars_file: VarsFile = None,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Also list the files that were ignored.")
    ] = False,
) -> None:
    """Check profiles.d/ offline and report every problem with file and line.

    Example: reconcile validate --var count=1000
    """
    settings = settings_of(ctx)
    if verbose:
        root = settings.path(settings.profiles_dir)
        for name, why in skipped_files(root, links_outside=settings.follow_symlinks_outside):
            typer.echo(f"ignored: {name} ({why})", err=True)
    declared = declared_profiles(settings, template_variables(var, vars_file))
    if verbose:
        typer.echo(f"{declared.files} files read, {declared.cached} from the cache", err=True)
    for warning in declared.warnings:
        typer.echo(f"warning: {warning}", err=True)
    typer.echo(f"{len(declared.profiles)} profiles valid", err=True)


@app.command()
def schema() -> None:
    """Print the JSON Schema of profiles.d/ files, for editor completion and checks.

    Example: reconcile schema > .reconcile/profiles.schema.json
    """
    typer.echo(profile_file_schema_json())


@app.command()
def plan(
    ctx: typer.Context,
    tenant: TenantOption = None,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Where to save the plan.")] = None,
    fmt: FormatOption = "text",
    allow_delete: AllowDelete = False,
    allow_purge: AllowPurge = False,
    target: Annotated[
        list[str] | None,
        typer.Option("--target", help="Plan only these keys (key or glob; repeatable)."),
    ] = None,
    exclude: Annotated[
        list[str] | None,
        typer.Option("--exclude", help="Leave these keys out (key or glob; repeatable)."),
    ] = None,
    shard: Annotated[
        str | None, typer.Option("--shard", help="Plan shard I of N (I/N, from 1) of the keys.")
    ] = None,
    allow_conflicts: Annotated[
        bool, typer.Option("--allow-conflicts", help="Skip conflicting profiles; plan the rest.")
    ] = False,
    no_adopt: Annotated[
        bool, typer.Option("--no-adopt", help="Report matches of unmanaged profiles as conflicts.")
    ] = False,
    detailed_exitcode: Annotated[
        bool,
        typer.Option("--detailed-exitcode", help="Exit 2 when there are changes (or withheld)."),
    ] = False,
    show_pii: ShowPii = False,
    force: ForceOption = False,
    reason: ReasonOption = None,
    var: VarOption = None,
    vars_file: VarsFile = None,
) -> None:
    """Compare profiles.d/ with the tenant, show the changes, and save the plan.

    Exit codes: 0 no changes; 2 changes, planned or withheld for want of --allow-delete or
    --allow-purge (with --detailed-exitcode); 1 errors or conflicts.

    Example: reconcile plan -o plans/release.json --format markdown --shard 1/4
    """
    settings = settings_of(ctx)
    chosen_format = report_format(fmt)
    resolved = resolve_target(settings, tenant, os.environ)
    variables = template_variables(var, vars_file)
    selectors = _selectors(target, exclude, shard)
    flags = {"allow_delete": allow_delete, "allow_purge": allow_purge, "adopt": not no_adopt,
             "allow_conflicts": allow_conflicts, "selectors": selectors}  # fmt: skip
    with long_lived():
        # The tenant is listed while a cold profiles.d/ is parsed in worker processes.
        keep = None if selectors.is_everything else selectors.selects
        declared = declared_loading(settings, variables, keep)
        made = asyncio.run(make_plan(settings, resolved, declared, variables=variables, **flags))
    _guard_creates(resolved, made, force, reason)
    path = out or new_plan_file(settings, resolved)
    # The plan records the tenant and the variables: the command needs only the flags it asks for.
    command = apply_command(path, *made.apply_flags(), tenant=tenant)
    key = settings.plan_key(os.environ)
    _save_and_show(made, path, chosen_format, show_pii, command, key)
    _refuse_conflicts(made)
    if detailed_exitcode and made.drifted:  # a withheld change is drift too
        raise typer.Exit(2)


def _refuse_conflicts(made: Plan) -> None:
    if made.conflicts and not made.options.allow_conflicts:
        raise ConflictError(
            f"{len(made.conflicts)} conflicts: resolve them in profiles.d/, "
            "or pass --allow-conflicts to skip those profiles"
        )


def _save_and_show(
    made: Plan, path: Path, chosen_format: Format, show_pii: bool, command: str, key: bytes | None
) -> None:
    sealed = made.sealed(key)
    sealed.save(path, key=key)
    # Masked reports come from the saved form, so `plan` and `show` print the same bytes.
    shown = made.model_copy(update={"checksum": sealed.checksum}) if show_pii else sealed
    typer.echo(_rendered(shown, chosen_format, show_pii), nl=False)
    if made.has_changes or made.conflicts:
        notice(f"Saved plan to {path}; apply it with: {command}")
    elif made.withheld:
        notice(f"Withheld: {made.withheld_summary()}; plan with those flags to include them")


@app.command()
def show(
    plan_files: Annotated[
        list[Path], typer.Argument(help="A saved plan, or every shard's plan of one run.")
    ],
    fmt: FormatOption = "text",
    show_pii: ShowPii = False,
    detailed_exitcode: Annotated[
        bool,
        typer.Option(
            "--detailed-exitcode",
            help="Exit 2 when there are changes (or withheld); 1 on conflicts.",
        ),
    ] = False,
) -> None:
    """Render a saved plan, or the shards' plans as one review, in any report format.

    Exit codes with --detailed-exitcode: 0 no changes; 2 changes, planned or withheld; 1
    conflicts (not skipped with --allow-conflicts) or errors.

    Example: reconcile show plans/shard-*.json --format markdown --detailed-exitcode
    """
    plans = [Plan.load(path) for path in plan_files]
    chosen = report_format(fmt)
    color = chosen == "text" and sys.stdout.isatty() and not os.environ.get("NO_COLOR")
    typer.echo(render_merged(plans, chosen, show_pii=show_pii, color=color), nl=False)
    if detailed_exitcode:
        merged = merge_plans(plans)
        if merged.conflicts and not merged.options.allow_conflicts:
            notice(f"{len(merged.conflicts)} conflicts: resolve them in profiles.d/")
            raise typer.Exit(1)
        if merged.drifted:
            raise typer.Exit(2)


def _rendered(made: Plan, fmt: Format, show_pii: bool) -> str:
    color = fmt == "text" and sys.stdout.isatty() and not os.environ.get("NO_COLOR")
    return render(made, fmt, show_pii=show_pii, color=color)


def _selectors(target: list[str] | None, exclude: list[str] | None, shard: str | None) -> Selectors:
    if shard is not None:
        try:
            parse_shard(shard)
        except ValueError as exc:
            raise typer.BadParameter(str(exc), param_hint="--shard") from None
    return Selectors(target=tuple(target or ()), exclude=tuple(exclude or ()), shard=shard)


def _guard_creates(target: Target, made: Plan, force: bool, reason: str | None) -> None:
    """A production tenant refuses a plan creating more than its max_creates (bulk seeding)."""
    override = Override(force=force, reason=reason)
    note = check_creates(target, creates=made.count("create"), override=override)
    if note:
        notice(note)
