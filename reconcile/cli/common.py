"""What every command shares: the app, common options, error reporting, settings."""

from __future__ import annotations

import functools
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from reconcile.errors import ConfigError, ReconcileError
from reconcile.profiles.loader import DeclaredProfiles, load_profiles, read_variables
from reconcile.report.render import FORMATS, Format
from reconcile.settings import Settings, Target, load_settings
from reconcile.tenant.client import OmneoClient

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
@_reported
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
        owner_handle=settings.owner_handle,
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


T = TypeVar("T")


async def _with_client(target: Target, call: Callable[[OmneoClient], Awaitable[T]]) -> T:
    async with OmneoClient.open(target) as client:
        return await call(client)


ForceOption = Annotated[
    bool, typer.Option("--force", help="Pass a production-tenant guard (needs --reason).")
]


ReasonOption = Annotated[
    str | None, typer.Option("--reason", help="Why a production guard is overridden.")
]


def run() -> None:
    """Console-script entry point."""
    app()
