"""sandbox serve: the embedded Omneo-compatible tenant over HTTP."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from reconcile.cli.common import reported, sandbox_app, settings_of
from reconcile.errors import ConfigError

# reconcile.sandbox.access.TOKEN_ENV and READ_TOKEN_ENV, spelled here so that starting the CLI does
# not import the sandbox's web stack.
TOKEN_ENV = "RECONCILE_SANDBOX_TOKEN"
READ_TOKEN_ENV = "RECONCILE_SANDBOX_READ_TOKEN"


@sandbox_app.command("serve")
@reported
def sandbox_serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8765,
    db: Annotated[Path | None, typer.Option(help="SQLite file (default .reconcile/).")] = None,
    latency_ms: Annotated[float | None, typer.Option(help="Added latency per request.")] = None,
    rate_limit: Annotated[float | None, typer.Option(help="Requests per second allowed.")] = None,
    error_rate: Annotated[float | None, typer.Option(help="Share answered 503.")] = None,
    throttle_rate: Annotated[float | None, typer.Option(help="Share answered 429.")] = None,
    drop_rate: Annotated[float | None, typer.Option(help="Share of connections dropped.")] = None,
    token: Annotated[
        str | None, typer.Option(envvar=TOKEN_ENV, help="Write token to require (not printed).")
    ] = None,
    read_token: Annotated[
        str | None, typer.Option(envvar=READ_TOKEN_ENV, help="Read-only token to accept too.")
    ] = None,
) -> None:
    """Serve the sandbox over HTTP (base URL http://HOST:PORT/api/v3).

    Without --token it answers its published tokens and listens on loopback only. Fault options
    default to the [sandbox] section of reconcile.toml (all off).
    """
    from reconcile.sandbox import SandboxConfig, SandboxRefused, chosen_tokens, serve
    from reconcile.sandbox.access import check_exposure, uses_published_token

    settings = settings_of(ctx)
    given = {
        "latency_ms": latency_ms,
        "rate_limit_rps": rate_limit,
        "error_rate": error_rate,
        "throttle_rate": throttle_rate,
        "drop_rate": drop_rate,
    }
    faults = settings.sandbox.model_copy(update={k: v for k, v in given.items() if v is not None})
    try:
        tokens = chosen_tokens(token, read_token)
        path = db or settings.sandbox_db
        config = SandboxConfig(db_path=path, tokens=tokens, **faults.model_dump())
        check_exposure(config, host)
        config.db_path.parent.mkdir(parents=True, exist_ok=True)
        tokens_used = "published tokens" if uses_published_token(config) else "chosen token"
        url = f"http://{host}:{port}/api/v3"
        typer.echo(f"Serving the Omneo sandbox on {url} with its {tokens_used}", err=True)
        serve(config, host=host, port=port)
    except SandboxRefused as refused:
        raise ConfigError(str(refused)) from None
