"""The ``reconcile`` command line: parse options, call the library, print, exit.

Only this module prints or exits; every ``ReconcileError`` becomes one message on stderr and
exit code 1 in :func:`_reported`.
"""

from __future__ import annotations

import asyncio
import functools
import os
import sys
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from reconcile.apply import ApplyOptions, ApplyResult, carry_out
from reconcile.client import OmneoClient
from reconcile.errors import ApplyError, ConfigError, ConflictError, PlanError, ReconcileError
from reconcile.export import ExportOptions, ExportResult, Selection, export_profiles
from reconcile.guards import Override, check_bulk, check_creates, check_teardown
from reconcile.journal import Journal
from reconcile.loader import DeclaredProfiles, ignored_files, load_profiles, read_variables
from reconcile.lock import Holder, TenantLock, break_lock, read_lock
from reconcile.plan import Plan
from reconcile.planner import PlanOptions, build_plan
from reconcile.progress import Progress
from reconcile.render import FORMATS, Format, render
from reconcile.schema import profile_file_schema_json
from reconcile.selectors import Selectors, parse_shard
from reconcile.settings import Settings, Target, load_settings, resolve_target
from reconcile.teardown import TeardownOptions, apply_teardown, teardown_plan

app = typer.Typer(
    help="GitOps for Omneo customer profiles: declare them in profiles.d/, plan, apply.",
    no_args_is_help=True,
    add_completion=False,
)
sandbox_app = typer.Typer(help="Run the embedded Omneo-compatible sandbox.", no_args_is_help=True)
app.add_typer(sandbox_app, name="sandbox")
lock_app = typer.Typer(help="Inspect or break the tenant's apply lock.", no_args_is_help=True)
app.add_typer(lock_app, name="lock")

F = TypeVar("F", bound=Callable[..., Any])

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


def _reported(command: F) -> F:
    """Turn a ReconcileError into a one-line message on stderr and exit code 1."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except ReconcileError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(1) from None

    return wrapper  # type: ignore[return-value]


@app.callback()
def main(
    ctx: typer.Context,
    chdir: Annotated[
        Path, typer.Option("--chdir", "-C", help="Run as if started in this directory.")
    ] = Path("."),
) -> None:
    ctx.obj = load_settings(chdir)


def _settings(ctx: typer.Context) -> Settings:
    settings = ctx.obj
    assert isinstance(settings, Settings)
    return settings


def _declared(settings: Settings, variables: dict[str, object] | None = None) -> DeclaredProfiles:
    return load_profiles(
        settings.path(settings.profiles_dir),
        phone_region=settings.phone_region,
        variables=variables,
        cache_dir=settings.path(settings.state_dir) / "cache",
    )


def _variables(pairs: list[str] | None, vars_file: Path | None) -> dict[str, object]:
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


@app.command()
@_reported
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
    settings = _settings(ctx)
    if verbose:
        for name in ignored_files(settings.path(settings.profiles_dir)):
            typer.echo(f"ignored: {name} (not .yaml, .yml, .yaml.j2 or .yml.j2)", err=True)
    declared = _declared(settings, _variables(var, vars_file))
    if verbose:
        typer.echo(f"{declared.files} files read, {declared.cached} from the cache", err=True)
    typer.echo(f"{len(declared.profiles)} profiles valid", err=True)


@app.command()
def schema() -> None:
    """Print the JSON Schema of profiles.d/ files, for editor completion and checks.

    Example: reconcile schema > .reconcile/profiles.schema.json
    """
    typer.echo(profile_file_schema_json())


@app.command()
@_reported
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
        bool, typer.Option("--detailed-exitcode", help="Exit 2 when there are changes.")
    ] = False,
    show_pii: ShowPii = False,
    force: ForceOption = False,
    reason: ReasonOption = None,
    var: VarOption = None,
    vars_file: VarsFile = None,
) -> None:
    """Compare profiles.d/ with the tenant, show the changes, and save the plan.

    Exit codes: 0 no changes; 2 changes (with --detailed-exitcode); 1 errors or conflicts.

    Example: reconcile plan -o plans/release.json --format markdown --shard 1/4
    """
    settings = _settings(ctx)
    report_format = _format(fmt)
    selectors = _selectors(target, exclude, shard)
    resolved = resolve_target(settings, tenant, os.environ)
    made = asyncio.run(
        _make_plan(
            settings,
            resolved,
            allow_delete,
            allow_purge,
            selectors=selectors,
            adopt=not no_adopt,
            allow_conflicts=allow_conflicts,
            variables=_variables(var, vars_file),
        )
    )
    _guard_creates(resolved, made, force, reason)
    path = out or settings.path(settings.plans_dir) / _default_plan_name(resolved)
    sealed = made.sealed()
    sealed.save(path)
    # Masked reports come from the saved form, so `plan` and `show` print the same bytes.
    shown = made.model_copy(update={"checksum": sealed.checksum}) if show_pii else sealed
    typer.echo(_rendered(shown, report_format, show_pii), nl=False)
    if made.has_changes or made.conflicts:
        typer.echo(f"Saved plan to {path}; apply it with: reconcile apply {path}", err=True)
    if made.conflicts and not allow_conflicts:
        raise ConflictError(
            f"{len(made.conflicts)} conflicts: resolve them in profiles.d/, "
            "or pass --allow-conflicts to skip those profiles"
        )
    if detailed_exitcode and made.has_changes:
        raise typer.Exit(2)


@app.command()
@_reported
def show(
    plan_file: Annotated[Path, typer.Argument(help="A saved plan.")],
    fmt: FormatOption = "text",
    show_pii: ShowPii = False,
) -> None:
    """Render a saved plan in any report format.

    Example: reconcile show plans/release.json --format html > plan.html
    """
    typer.echo(_rendered(Plan.load(plan_file), _format(fmt), show_pii), nl=False)


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


@sandbox_app.command("serve")
def sandbox_serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8765,
    db: Annotated[Path | None, typer.Option(help="SQLite file (default .reconcile/).")] = None,
    latency_ms: Annotated[float, typer.Option(help="Added latency per request.")] = 0.0,
    rate_limit: Annotated[float | None, typer.Option(help="Requests per second allowed.")] = None,
    error_rate: Annotated[float, typer.Option(help="Share of requests answered 5xx.")] = 0.0,
    drop_rate: Annotated[float, typer.Option(help="Share of connections dropped.")] = 0.0,
) -> None:
    """Serve the sandbox over HTTP (base URL http://HOST:PORT/api/v3)."""
    from reconcile.sandbox import SandboxConfig, serve

    settings = _settings(ctx)
    config = SandboxConfig(
        db_path=db or settings.sandbox_db,
        latency_ms=latency_ms,
        rate_limit_rps=rate_limit,
        error_rate=error_rate,
        drop_rate=drop_rate,
    )
    config.db_path.parent.mkdir(parents=True, exist_ok=True)
    typer.echo(f"Serving the Omneo sandbox on http://{host}:{port}/api/v3", err=True)
    serve(config, host=host, port=port)


def _format(fmt: str) -> Format:
    if fmt not in FORMATS:
        raise typer.BadParameter(
            f"unknown format {fmt!r}; use {', '.join(FORMATS)}", param_hint="--format"
        )
    return fmt  # type: ignore[return-value]


def _default_plan_name(target: Target) -> str:
    return f"{target.name}-{datetime.now(UTC):%Y%m%d-%H%M%S}.json"


def _confirm(auto_approve: bool) -> None:
    if auto_approve:
        return
    if not sys.stdin.isatty():
        raise ReconcileError(
            "no terminal to confirm on: pass --auto-approve, or apply a saved plan"
        )
    if not typer.confirm("Apply these changes?"):
        raise ReconcileError("apply cancelled; nothing was changed")


async def _make_plan(
    settings: Settings,
    target: Target,
    allow_delete: bool,
    allow_purge: bool,
    *,
    selectors: Selectors | None = None,
    adopt: bool = True,
    allow_conflicts: bool = False,
    variables: dict[str, object] | None = None,
) -> Plan:
    declared = _declared(settings, variables)
    options = PlanOptions(
        tenant=target.url,
        owner_handle=settings.owner_handle,
        phone_region=settings.phone_region,
        allow_delete=allow_delete,
        allow_purge=allow_purge,
        allow_conflicts=allow_conflicts,
        adopt=adopt,
        selectors=selectors or Selectors(),
        threshold=settings.delete_threshold,
        threshold_floor=settings.threshold_floor,
    )
    async with OmneoClient.open(target) as client:
        return await build_plan(declared, client, options)


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


T = TypeVar("T")


async def _with_client(target: Target, call: Callable[[OmneoClient], Awaitable[T]]) -> T:
    async with OmneoClient.open(target) as client:
        return await call(client)


# -- export and teardown ------------------------------------------------------------------------

ForceOption = Annotated[
    bool, typer.Option("--force", help="Pass a production-tenant guard (needs --reason).")
]
ReasonOption = Annotated[
    str | None, typer.Option("--reason", help="Why a production guard is overridden.")
]


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


def _guard_bulk(target: Target, force: bool, reason: str | None) -> None:
    note = check_bulk(target, override=Override(force=force, reason=reason))
    if note:
        typer.echo(note, err=True)


def _guard_creates(target: Target, made: Plan, force: bool, reason: str | None) -> None:
    """A production tenant refuses a plan creating more than its max_creates (bulk seeding)."""
    override = Override(force=force, reason=reason)
    note = check_creates(target, creates=made.count("create"), override=override)
    if note:
        typer.echo(note, err=True)


def run() -> None:
    """Console-script entry point."""
    app()
