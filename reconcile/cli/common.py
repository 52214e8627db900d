"""What every command shares: the app, common options, settings, prompts, progress and reports.

This is the one module the command modules import from each other; each of its names is public.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import metadata
from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from reconcile import ApplyError, OptionError, Project, ReconcileError, Settings
from reconcile.project import ApplyResult, ProgressEvent, template_variables


class ReportingGroup(TyperGroup):
    """The top-level command group, which every command runs through (``run()``, and the tests'
    runner too): the one place where a :class:`ReconcileError` becomes ``error: <message>`` on
    stderr and the error's exit code, without a traceback."""

    def invoke(self, ctx: Any) -> Any:  # typer's own (vendored) click Context
        try:
            return super().invoke(ctx)
        except ReconcileError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(exc.exit_code) from None
        except KeyboardInterrupt:  # where a command writes, it says how to finish (interrupted())
            typer.echo("error: interrupted", err=True)
            raise typer.Exit(130) from None


app = typer.Typer(
    cls=ReportingGroup,
    help="GitOps for Omneo customer profiles: declare them in profiles.d/, plan, apply.",
    no_args_is_help=True,
    add_completion=False,
)
sandbox_app = typer.Typer(help="Run the embedded Omneo-compatible sandbox.", no_args_is_help=True)
app.add_typer(sandbox_app, name="sandbox")
lock_app = typer.Typer(help="Inspect or break the tenant's apply lock.", no_args_is_help=True)
app.add_typer(lock_app, name="lock")

TenantOption = Annotated[
    str | None, typer.Option("--tenant", "-t", help="Tenant from reconcile.toml (default: local).")
]
ShowPii = Annotated[bool, typer.Option("--show-pii", help="Reveal personal data (local use only).")]
AllowDelete = Annotated[bool, typer.Option("--allow-delete", help="Plan or apply deletes.")]
AllowPurge = Annotated[bool, typer.Option("--allow-purge", help="Plan or apply GDPR purges.")]
VarOption = Annotated[
    list[str] | None,
    typer.Option("--var", help="Template variable NAME=VALUE for *.yaml.j2 (repeatable)."),
]
VarsFile = Annotated[
    Path | None, typer.Option("--vars", help="YAML or JSON file of template variables.")
]
FormatOption = Annotated[
    str, typer.Option("--format", "-f", help="Report format: text, markdown, json or html.")
]
AutoApprove = Annotated[
    bool, typer.Option("--auto-approve", help="Apply without asking (for scripts).")
]
ForceOption = Annotated[
    bool, typer.Option("--force", help="Pass a production-tenant guard (needs --reason).")
]
ReasonOption = Annotated[
    str | None, typer.Option("--reason", help="Why a production guard is overridden.")
]


DISTRIBUTION = "omneo-reconcile"  # the name on PyPI; the command and the package are "reconcile"


def _print_version(wanted: bool) -> None:
    if wanted:
        typer.echo(f"reconcile {metadata.version(DISTRIBUTION)} ({DISTRIBUTION})")
        raise typer.Exit()


@app.callback()
def main(
    ctx: typer.Context,
    chdir: Annotated[
        Path, typer.Option("--chdir", "-C", help="Run as if started in this directory.")
    ] = Path("."),
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_print_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    ctx.obj = Project(chdir, env=os.environ)


def project_of(ctx: typer.Context) -> Project:
    project = ctx.obj
    assert isinstance(project, Project)
    return project


def settings_of(ctx: typer.Context) -> Settings:
    return project_of(ctx).settings


@contextmanager
def usage_errors() -> Iterator[None]:
    """An option's bad value is a usage error (exit 2, with the command's usage), as typer's."""
    try:
        yield
    except OptionError as exc:
        raise typer.BadParameter(str(exc), param_hint=exc.option) from None


def notice(message: str) -> None:
    """Tell the person running the command (stderr, so reports on stdout stay clean)."""
    typer.echo(message, err=True)


def variables(pairs: list[str] | None, vars_file: Path | None) -> dict[str, object]:
    """The template variables of ``--vars FILE`` and ``--var NAME=VALUE``."""
    return template_variables(pairs, vars_file)


def colored(fmt: str) -> bool:
    """Whether a report goes to a terminal that takes colours (text only; NO_COLOR says not)."""
    return fmt == "text" and sys.stdout.isatty() and not os.environ.get("NO_COLOR")


def interrupted(journal_path: Path, resume: str) -> ApplyError:
    """What Ctrl-C during a run that writes says: where the record is, and how to finish."""
    return ApplyError(f"interrupted; {journal_path} records what was done: finish with `{resume}`")


def confirm(auto_approve: bool) -> bool:
    """True once the person agrees (or ``--auto-approve``); raises otherwise."""
    if auto_approve:
        return True
    if not sys.stdin.isatty():
        raise ReconcileError(
            "no terminal to confirm on: pass --auto-approve, or apply a saved plan"
        )
    if not typer.confirm("Apply these changes?"):
        raise ReconcileError("apply cancelled; nothing was changed")
    return True


class ProgressView:
    """The one progress renderer: a bar redrawn in place on a terminal, else a line every 5 s."""

    def __init__(self, label: str, tty: bool | None = None) -> None:
        self.label = label
        self.tty = sys.stderr.isatty() if tty is None else tty
        self.shown = 0.0
        self.drawn = False
        self.started = time.monotonic()

    def __call__(self, progress: ProgressEvent) -> None:
        now = time.monotonic()
        last = progress.finished >= progress.total
        if not last and now - self.shown < (0.1 if self.tty else 5.0):
            return
        self.shown = now
        line = progress_line(progress)
        if self.tty:
            width = 24
            filled = width * progress.finished // max(1, progress.total)
            bar = "#" * filled + "-" * (width - filled)
            typer.echo(f"\r[{bar}] {line}\x1b[K", nl=False, err=True)
            self.drawn = True
        else:
            notice(f"{self.label}: {line}")

    def close(self) -> None:
        if self.drawn:
            notice("")


def progress_line(progress: ProgressEvent) -> str:
    counts = ", ".join(f"{action} {n}" for action, n in sorted(progress.done.items()))
    eta = progress.eta
    left = f", ETA {int(eta) // 60}:{int(eta) % 60:02d}" if eta is not None and eta >= 1 else ""
    return (
        f"{progress.finished}/{progress.total} ({counts or 'none done'}; "
        f"{progress.failed} failed), {progress.rate:.1f}/s{left}"
    )


def report_apply(result: ApplyResult, resume: str) -> None:
    """What was applied and what failed; raises :class:`ApplyError` unless all of it was.

    ``resume`` is the command that finishes the run (:func:`resume_command`)."""
    shown = result.succeeded if len(result.succeeded) <= 20 else ()
    for success in shown:
        notice(f"ok: {success.action} {success.key}")
    for failure in result.failed:
        notice(f"failed: {failure.action} {failure.key}: {failure.error}")
    notice(f"Apply complete: {result.summary()}")
    if result.parts:  # inline in each profile's write, or through their own endpoints
        notice(f"Profile parts: {result.parts.removeprefix('profile parts ')}")
    if result.throttled or result.retries:
        notice(
            f"{result.api_calls} API calls, {result.throttled} throttled (429), "
            f"{result.retries} retried"
        )
    notice(f"Journal: {result.journal}")
    if not result.complete:
        notice(f"Finish it with: {resume}")
        raise ApplyError(
            f"{len(result.failed)} changes failed, {len(result.not_attempted)} not attempted"
        )


def run() -> None:
    """Console-script entry point: errors are drawn by :class:`ReportingGroup`."""
    app()
