"""apply: carry out a reviewed plan through the library's one safe entry point."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from reconcile import Plan
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
    interrupted,
    notice,
    project_of,
    report_apply,
    variables,
)
from reconcile.project import resume_command


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
    project = project_of(ctx)
    # A plan made now is saved where the resume command says (under plans/); --resume without
    # a plan file is refused by the library before anything is read.
    path = plan_file or (Path("PLAN") if resume else project.new_plan_file(tenant))
    # The plan records its tenant and variables: finishing it needs only the flags of this run.
    resume_with = resume_command(
        path, allow_delete=allow_delete, allow_purge=allow_purge, force=force, reason=reason,
        bulk=bulk, strict=strict, tenant=tenant, root=project.path,
    )  # fmt: skip
    view = ProgressView("apply")

    def review(made: Plan) -> None:
        typer.echo(project.show(made, "text", reveal_pii=show_pii), nl=False)

    try:
        result = project.apply(
            plan_file, tenant=tenant, resume=resume, allow_delete=allow_delete,
            allow_purge=allow_purge, force=force, reason=reason, bulk=bulk, strict=strict,
            fail_fast=fail_fast,
            concurrency=concurrency, rps=rps, lock_timeout=lock_timeout,
            vars=variables(var, vars_file), out=path, progress=view, review=review,
            confirm=None if plan_file else lambda _: confirm(auto_approve), on_notice=notice,
        )  # fmt: skip
    except KeyboardInterrupt:
        if not path.exists():  # interrupted before the plan was saved: nothing was written
            raise
        raise interrupted(path.with_name(f"{path.stem}.journal.jsonl"), resume_with) from None
    finally:
        view.close()
    if result.plan_file is not None:  # None: planned now, and nothing to apply
        report_apply(result, resume_with)
