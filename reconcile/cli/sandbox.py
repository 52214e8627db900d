"""sandbox serve: the embedded Omneo-compatible tenant over HTTP."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from reconcile.cli.common import _settings, sandbox_app


@sandbox_app.command("serve")
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
) -> None:
    """Serve the sandbox over HTTP (base URL http://HOST:PORT/api/v3).

    Fault options default to the [sandbox] section of reconcile.toml (all off).
    """
    from reconcile.sandbox import SandboxConfig, serve

    settings = _settings(ctx)
    given = {
        "latency_ms": latency_ms,
        "rate_limit_rps": rate_limit,
        "error_rate": error_rate,
        "throttle_rate": throttle_rate,
        "drop_rate": drop_rate,
    }
    faults = settings.sandbox.model_copy(update={k: v for k, v in given.items() if v is not None})
    config = SandboxConfig(db_path=db or settings.sandbox_db, **faults.model_dump())
    config.db_path.parent.mkdir(parents=True, exist_ok=True)
    typer.echo(f"Serving the Omneo sandbox on http://{host}:{port}/api/v3", err=True)
    serve(config, host=host, port=port)
