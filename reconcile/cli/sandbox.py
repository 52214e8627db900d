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
