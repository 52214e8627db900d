"""What every command shares: the app, common options, settings, prompts, progress and reports.

This is the one module the command modules import from each other; each of its names is public.
"""

from __future__ import annotations

import gc
import shlex
import sys
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from typer.core import TyperGroup

from reconcile.apply.carry import ApplyOptions
from reconcile.apply.outcomes import ApplyResult
from reconcile.apply.progress import Progress
from reconcile.collector import paused
from reconcile.errors import ApplyError, ConfigError, ReconcileError
from reconcile.plan.build import PlanOptions, build_plan
from reconcile.plan.value import Plan
from reconcile.profiles.loader import (
    DeclaredProfiles,
    Loading,
    begin_loading,
    read_variables,
)
from reconcile.report.render import FORMATS, Format
from reconcile.settings import Settings, Target, load_settings
from reconcile.tenant.client import OmneoClient


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

T = TypeVar("T")


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
    ctx.obj = load_settings(chdir)


def settings_of(ctx: typer.Context) -> Settings:
    settings = ctx.obj
    assert isinstance(settings, Settings)
    return settings


def notice(message: str) -> None:
    """Tell the person running the command (stderr, so reports on stdout stay clean)."""
    typer.echo(message, err=True)


@contextmanager
def long_lived() -> Iterator[None]:
    """Around loading and planning in one command: the collector stays paused from the first
    file read to the finished plan (each of them pauses it, and re-enabling it in between cost a
    full collection of the loaded tree: 10 µs a profile), and what they built is then frozen
    (``gc.freeze``), so the collections of rendering and saving do not rescan it. A command is
    short-lived, so what is frozen is freed when it exits."""
    with paused():
        try:
            yield
        finally:
            gc.freeze()


def declared_profiles(
    settings: Settings, variables: dict[str, object] | None = None
) -> DeclaredProfiles:
    return declared_loading(settings, variables).result()


def declared_loading(
    settings: Settings,
    variables: dict[str, object] | None = None,
    keep: Callable[[str], bool] | None = None,
) -> Loading:
    """The project's profiles.d/ load begun (a cold tree parses in workers meanwhile); ``keep``
    (a plan's selection) holds only the selected profiles whole."""
    return begin_loading(
        settings.path(settings.profiles_dir),
        phone_region=settings.phone_region,
        variables=variables,
        cache_dir=settings.path(settings.state_dir) / "cache",
        owner_handle=settings.owner_handle,
        links_outside=settings.follow_symlinks_outside,
        keep=keep,
    )


def template_variables(pairs: list[str] | None, vars_file: Path | None) -> dict[str, object]:
    """``--vars FILE`` first, then each ``--var NAME=VALUE`` (values are text) over it."""
    variables = read_variables(vars_file) if vars_file is not None else {}
    for pair in pairs or []:
        name, equals, value = pair.partition("=")
        if not equals or not name.strip().isidentifier():
            raise ConfigError(
                f"--var {pair!r}: write NAME=VALUE, NAME a letter then letters, digits, _"
            )
        variables[name.strip()] = value
    return variables


def report_format(fmt: str) -> Format:
    if fmt not in FORMATS:
        raise typer.BadParameter(
            f"unknown format {fmt!r}; use {', '.join(FORMATS)}", param_hint="--format"
        )
    return fmt  # type: ignore[return-value]


def new_plan_file(settings: Settings, target: Target, prefix: str = "") -> Path:
    """``plans/<prefix><tenant>-<UTC time>.json``, with a counter if a plan has the name."""
    name = f"{prefix}{target.name}-{datetime.now(UTC):%Y%m%d-%H%M%S}.json"
    path = candidate = settings.path(settings.plans_dir) / name
    n = 1
    while candidate.exists():
        n += 1
        candidate = path.with_name(f"{path.stem}-{n}{path.suffix}")
    return candidate


def apply_command(plan_file: Path, *flags: str, tenant: str | None = None) -> str:
    """The ``reconcile apply`` command for ``plan_file``, quoted for a shell (a path may hold
    spaces) and naming the tenant the plan was made for (the plan records it, so it may be left
    out; a ``--tenant`` given must be that one)."""
    words = ["reconcile", "apply", str(plan_file), *flags]
    words += ["--tenant", tenant] if tenant else []
    return shlex.join(words)


def resume_command(
    plan_file: Path,
    options: ApplyOptions,
    *,
    tenant: str | None = None,
) -> str:
    """``reconcile apply PLAN --resume`` with the flags this run was given, so that it works as
    printed (a plan with deletes needs --allow-delete again). The plan records its tenant and
    template variables, so neither needs repeating (``--tenant`` is kept when it was given)."""
    flags: list[str] = [
        flag
        for flag, given in (
            ("--allow-delete", options.allow_delete),
            ("--allow-purge", options.allow_purge),
            ("--force", options.force),
            ("--bulk", options.bulk is True),
            ("--no-bulk", options.bulk is False),
        )
        if given
    ]
    flags += ["--reason", options.reason] if options.force and options.reason else []
    flags += ["--tenant", tenant] if tenant else []
    return shlex.join(["reconcile", "apply", "--resume", str(plan_file), *flags])


def interrupted(journal_path: Path, resume: str) -> ApplyError:
    """What Ctrl-C during a run that writes says: where the record is, and how to finish."""
    return ApplyError(f"interrupted; {journal_path} records what was done: finish with `{resume}`")


def confirm(auto_approve: bool) -> None:
    if auto_approve:
        return
    if not sys.stdin.isatty():
        raise ReconcileError(
            "no terminal to confirm on: pass --auto-approve, or apply a saved plan"
        )
    if not typer.confirm("Apply these changes?"):
        raise ReconcileError("apply cancelled; nothing was changed")


async def with_client(target: Target, call: Callable[[OmneoClient], Awaitable[T]]) -> T:
    async with OmneoClient.open(target) as client:
        return await call(client)


async def make_plan(
    settings: Settings, target: Target, declared: DeclaredProfiles | Loading, **options: object
) -> Plan:
    """Plan ``declared`` against ``target`` with the project's settings; ``options`` override."""
    plan_options = PlanOptions.model_validate(
        {
            "tenant": target.url,
            "owner_handle": settings.owner_handle,
            "phone_region": settings.phone_region,
            "threshold": settings.delete_threshold,
            "threshold_floor": settings.threshold_floor,
            "tenant_name": target.name,
            "variables": {},
            **options,
        }
    )
    async with OmneoClient.open(target) as client:
        return await build_plan(declared, client, plan_options)


class ProgressView:
    """The one progress renderer: a bar redrawn in place on a terminal, else a line every 5 s."""

    def __init__(self, label: str, tty: bool | None = None) -> None:
        self.label = label
        self.tty = sys.stderr.isatty() if tty is None else tty
        self.shown = 0.0
        self.drawn = False
        self.started = time.monotonic()

    def __call__(self, progress: Progress) -> None:
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

    def counted(self, done: int, total: int) -> None:
        """For work counted as done-of-total (export): the same view."""
        self(Progress(total=total, done=Counter({"done": done}), started=self.started))

    def close(self) -> None:
        if self.drawn:
            notice("")


def progress_line(progress: Progress) -> str:
    counts = ", ".join(f"{action} {n}" for action, n in sorted(progress.done.items()))
    eta = progress.eta
    left = f", ETA {int(eta) // 60}:{int(eta) % 60:02d}" if eta is not None and eta >= 1 else ""
    return (
        f"{progress.finished}/{progress.total} ({counts or 'none done'}; "
        f"{progress.failed} failed), {progress.rate:.1f}/s{left}"
    )


def report_apply(result: ApplyResult, journal_path: Path, resume: str) -> None:
    """What was applied and what failed; raises :class:`ApplyError` unless all of it was.

    ``resume`` is the command that finishes the run (:func:`resume_command`)."""
    shown = result.succeeded if len(result.succeeded) <= 20 else ()
    for success in shown:
        notice(f"ok: {success.action} {success.key}")
    for failure in result.failed:
        notice(f"failed: {failure.action} {failure.key}: {failure.error}")
    notice(f"Apply complete: {result.summary()}")
    if result.throttled or result.retries:
        notice(
            f"{result.api_calls} API calls, {result.throttled} throttled (429), "
            f"{result.retries} retried"
        )
    notice(f"Journal: {journal_path}")
    if not result.complete:
        notice(f"Finish it with: {resume}")
        raise ApplyError(
            f"{len(result.failed)} changes failed, {len(result.not_attempted)} not attempted"
        )


def run() -> None:
    """Console-script entry point: errors are drawn by :class:`ReportingGroup`."""
    app()
