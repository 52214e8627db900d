"""apply: carry out a reviewed plan through the library's one safe entry point."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated

import typer

from reconcile.apply.carry import ApplyOptions
from reconcile.apply.journal import Journal
from reconcile.apply.recorded import tenant_for, variables_for
from reconcile.apply.session import apply_reviewed, preflight
from reconcile.apply.trust import ProjectPolicy
from reconcile.cli.common import (
    AllowDelete,
    AllowPurge,
    AutoApprove,
    ProgressView,
    ReasonOption,
    ShowPii,
    TenantOption,
    VarOption,
    VarsFile,
    app,
    confirm,
    declared_profiles,
    interrupted,
    make_plan,
    new_plan_file,
    notice,
    report_apply,
    resume_command,
    settings_of,
    template_variables,
)
from reconcile.errors import ConflictError, PlanError
from reconcile.plan.value import Plan
from reconcile.profiles.loader import DeclaredProfiles
from reconcile.report.render import render
from reconcile.settings import Settings, Target, resolve_target
from reconcile.tenant.lock import Holder


@app.command()
def apply(
    ctx: typer.Context,
    plan_file: Annotated[Path | None, typer.Argument(help="A saved, reviewed plan.")] = None,
    tenant: TenantOption = None,
    auto_approve: AutoApprove = False,
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
        bool | None,
        typer.Option(
            "--bulk/--no-bulk",
            help="Batch creates and adoptions, or never; default: when cheaper (test tenants).",
        ),
    ] = None,
    strict: Annotated[
        bool,
        typer.Option(
            "--strict", help="Read each profile again right before its write (a request more)."
        ),
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
    settings = settings_of(ctx)
    key = settings.plan_key(os.environ)
    variables = template_variables(var, vars_file)
    if plan_file is not None:  # the plan says where and with what: flags may only agree
        reviewed = Plan.load(plan_file, key=key)
        tenant = tenant_for(reviewed, tenant)
        variables = variables_for(reviewed, variables)
    elif resume:
        raise PlanError("--resume needs the plan file: reconcile apply --resume plans/NAME.json")
    target = _limited(resolve_target(settings, tenant, os.environ), concurrency, rps)
    flags = {"allow_delete": allow_delete, "allow_purge": allow_purge, "force": force,
             "reason": reason, "resume": resume, "fail_fast": fail_fast, "bulk": bulk,
             "lock_timeout": lock_timeout, "strict": strict}  # fmt: skip
    options = _options(settings, target, flags)
    if plan_file is not None:
        preflight(reviewed, target, options)  # before profiles.d/ is read
    declared = declared_profiles(settings, variables)
    if plan_file is None:
        plan_file = _plan_now(
            settings, target, declared, variables, options, show_pii, auto_approve
        )
        if plan_file is None:
            return
    # The plan records its tenant and variables: finishing it needs only the flags of this run.
    resume_with = resume_command(plan_file, options, tenant=tenant)
    _carry(plan_file, declared, target, options, key, resume_with)


def _options(settings: Settings, target: Target, flags: Mapping[str, object]) -> ApplyOptions:
    """The command's flags, with the tenant's concurrency and the project's policy."""
    policy = ProjectPolicy.of(settings)
    return ApplyOptions.model_validate(
        {**flags, "concurrency": target.concurrency, "policy": policy}
    )


def _limited(target: Target, concurrency: int | None, rps: float | None) -> Target:
    limits = {"concurrency": concurrency, "rps": rps}
    return target.model_copy(update={k: v for k, v in limits.items() if v is not None})


def _plan_now(
    settings: Settings,
    target: Target,
    declared: DeclaredProfiles,
    variables: dict[str, object],
    options: ApplyOptions,
    show_pii: bool,
    auto_approve: bool,
) -> Path | None:
    """Plan, show it, and once confirmed save it (so the run has a journal); None: nothing to do."""
    made = asyncio.run(
        make_plan(
            settings,
            target,
            declared,
            allow_delete=options.allow_delete,
            allow_purge=options.allow_purge,
            variables=variables,
        )
    )
    typer.echo(render(made, "text", show_pii=show_pii), nl=False)
    if made.conflicts:
        raise ConflictError(f"{len(made.conflicts)} conflicts: resolve them before applying")
    if not made.has_changes:
        return None
    preflight(made, target, options)  # a refusal comes before the question, not after
    confirm(auto_approve)
    plan_file = new_plan_file(settings, target)
    made.save(plan_file, key=settings.plan_key(os.environ))
    notice(f"Saved plan to {plan_file}")
    return plan_file


def _carry(
    plan_file: Path,
    declared: DeclaredProfiles,
    target: Target,
    options: ApplyOptions,
    key: bytes | None,
    resume: str,
) -> None:
    journal = Journal.beside(plan_file)
    view = ProgressView("apply")
    holder = Holder.here(str(plan_file))
    reviewed = Plan.load(plan_file, key=key)
    try:
        result = asyncio.run(
            apply_reviewed(
                reviewed,
                declared,
                target,
                journal,
                options,
                holder=holder,
                on_progress=view,
                on_notice=notice,
            )
        )
    except KeyboardInterrupt:
        raise interrupted(journal.path, resume) from None
    finally:
        view.close()
    report_apply(result, journal.path, resume)
