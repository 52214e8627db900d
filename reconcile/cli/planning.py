"""validate, schema, plan and show: everything that reads and never writes."""

from __future__ import annotations

import gc
import json
from pathlib import Path
from typing import Annotated

import typer

from reconcile import ConflictError, Plan
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
    colored,
    notice,
    project_of,
    usage_errors,
    variables,
)
from reconcile.project import apply_command, report_format


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
    checked = project_of(ctx).validate(vars=variables(var, vars_file))
    if verbose:
        for name, why in checked.skipped:
            notice(f"ignored: {name} ({why})")
    if (problems := checked.error()) is not None:
        raise problems
    if verbose:
        notice(f"{checked.files} files read, {checked.cached} from the cache")
    for warning in checked.warnings:
        notice(f"warning: {warning}")
    notice(f"{checked.profiles} profiles valid")


@app.command()
def schema(ctx: typer.Context) -> None:
    """Print the JSON Schema of profiles.d/ files, for editor completion and checks.

    Example: reconcile schema > .reconcile/profiles.schema.json
    """
    typer.echo(json.dumps(project_of(ctx).schema(), indent=2, sort_keys=True))


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
    project = project_of(ctx)
    with usage_errors():
        report_format(fmt)
        made = project.plan(
            tenant=tenant, out=out, allow_delete=allow_delete, allow_purge=allow_purge,
            targets=target or (), excludes=exclude or (), shard=shard, adopt=not no_adopt,
            allow_conflicts=allow_conflicts, force=force, reason=reason,
            vars=variables(var, vars_file), on_notice=notice,
        )  # fmt: skip
    # A command is short-lived: what loading and planning built is frozen, so the collections
    # of rendering do not rescan it (reconcile.collector).
    gc.freeze()
    typer.echo(project.show(made, fmt, reveal_pii=show_pii, color=colored(fmt)), nl=False)
    path = project.saved(made)
    if made.conflicts and not made.options.allow_conflicts:
        notice(f"Saved plan to {path}; it cannot be applied while it holds conflicts")
    elif made.has_changes or made.conflicts:
        # The plan records the tenant and the variables: the command needs only its flags.
        command = apply_command(
            path or Path("PLAN"), *made.apply_flags(), tenant=tenant, root=project.path
        )
        notice(f"Saved plan to {path}; apply it with: {command}")
    elif made.withheld:
        notice(f"Withheld: {made.withheld_summary()}; plan with those flags to include them")
    _refuse_conflicts(made)
    if detailed_exitcode and made.drifted:  # a withheld change is drift too
        raise typer.Exit(2)


def _refuse_conflicts(made: Plan) -> None:
    if made.conflicts and not made.options.allow_conflicts:
        raise ConflictError(
            f"{len(made.conflicts)} conflicts: resolve them in profiles.d/, "
            "or pass --allow-conflicts to skip those profiles"
        )


@app.command()
def show(
    ctx: typer.Context,
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
    project = project_of(ctx)
    plans = plan_files[0] if len(plan_files) == 1 else plan_files
    with usage_errors():
        shown = project.show(plans, fmt, reveal_pii=show_pii, color=colored(fmt))
    typer.echo(shown, nl=False)
    if detailed_exitcode:
        merged = project.merged(plan_files)
        if merged.conflicts and not merged.options.allow_conflicts:
            notice(f"{len(merged.conflicts)} conflicts: resolve them in profiles.d/")
            raise typer.Exit(1)
        if merged.drifted:
            raise typer.Exit(2)
