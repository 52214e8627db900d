"""sandbox serve: the embedded Omneo-compatible tenant over HTTP."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

import typer
from pydantic import ValidationError

from reconcile.cli.common import notice, sandbox_app, settings_of
from reconcile.errors import SandboxError
from reconcile.settings import Settings

if TYPE_CHECKING:
    from reconcile.sandbox import SandboxConfig

# reconcile.sandbox.http.access.TOKEN_ENV and READ_TOKEN_ENV, spelled here so that starting the CLI
# does not import the sandbox's web stack.
TOKEN_ENV = "RECONCILE_SANDBOX_TOKEN"
READ_TOKEN_ENV = "RECONCILE_SANDBOX_READ_TOKEN"
# The option that sets each fault of SandboxConfig (a bad value is named by its option).
_FLAGS = {
    "latency_ms": "--latency-ms",
    "rate_limit_rps": "--rate-limit",
    "error_rate": "--error-rate",
    "throttle_rate": "--throttle-rate",
    "drop_rate": "--drop-rate",
}


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
    answer_style: Annotated[
        Literal["reference", "sdk"] | None,
        typer.Option(help="Answer in the API reference's forms or the SDK types'."),
    ] = None,
    token: Annotated[
        str | None, typer.Option(envvar=TOKEN_ENV, help="Write token to require (not printed).")
    ] = None,
    read_token: Annotated[
        str | None, typer.Option(envvar=READ_TOKEN_ENV, help="Read-only token to accept too.")
    ] = None,
) -> None:
    """Serve the sandbox over HTTP (base URL http://HOST:PORT/api/v3).

    Without --token it answers its published tokens and listens on loopback only. Fault options
    default to the \\[sandbox] section of reconcile.toml (all off).
    """
    from reconcile.sandbox import SandboxRefused, serve
    from reconcile.sandbox.http.access import uses_published_token
    from reconcile.sandbox.storage.schema import SchemaTooNew, UnusableDatabase

    faults: dict[str, float | str | None] = {
        "latency_ms": latency_ms,
        "rate_limit_rps": rate_limit,
        "error_rate": error_rate,
        "throttle_rate": throttle_rate,
        "drop_rate": drop_rate,
        "answer_style": answer_style,
    }
    settings = settings_of(ctx)
    path = db or settings.sandbox_db
    try:
        config = _config(settings, path, token, read_token, faults)
        used = "published tokens" if uses_published_token(config) else "chosen token"
        url = f"http://{_url_host(host)}:{port}/api/v3"
        serving = f"Serving the Omneo sandbox on {url} with its {used}"
        serve(config, host=host, port=port, on_listening=lambda: notice(serving))
    except SandboxRefused as refused:  # the sandbox's own errors, translated at this seam
        raise SandboxError(str(refused)) from None
    except SchemaTooNew as too_new:
        raise SandboxError(f"{path}: {too_new}; upgrade reconcile, or pass --db FILE") from None
    except UnusableDatabase as unusable:
        raise SandboxError(f"{path}: {unusable}: pass --db with another file") from None


def _url_host(host: str) -> str:
    """The host as a URL writes it: an IPv6 address in brackets (``http://[::1]:8765``)."""
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


def _config(
    settings: Settings,
    path: Path,
    token: str | None,
    read_token: str | None,
    faults: dict[str, float | str | None],
) -> SandboxConfig:
    from reconcile.sandbox import SandboxConfig, chosen_tokens

    given = {name: value for name, value in faults.items() if value is not None}
    chosen = settings.sandbox.model_copy(update=given)
    try:
        return SandboxConfig(
            db_path=path, tokens=chosen_tokens(token, read_token), **chosen.model_dump()
        )
    except ValidationError as exc:  # one line naming the option, not pydantic's report
        first = exc.errors()[0]
        name = str(first["loc"][0]) if first["loc"] else ""
        flag = _FLAGS.get(name, name)
        raise SandboxError(f"{flag} {first.get('input')}: {first['msg'].lower()}") from None
