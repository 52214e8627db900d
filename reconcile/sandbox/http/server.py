"""Serve the sandbox over HTTP with uvicorn (the only module that imports it).

A dropped connection must be a real one: the protocol below hands the connection's transport to the
fault injector (in the ASGI scope's extensions), which aborts it after processing the request.
"""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from reconcile.sandbox.config import SandboxConfig
from reconcile.sandbox.http.access import SandboxRefused, check_exposure
from reconcile.sandbox.http.app import create_app
from reconcile.sandbox.http.faults import TRANSPORT_KEY
from reconcile.sandbox.http.hosts import HostCheck


class _DroppableH11(H11Protocol):
    """uvicorn's h11 protocol, exposing each connection's transport to the app."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        app = self.app

        async def with_transport(scope: Any, receive: Any, send: Any) -> None:
            extensions = {**scope.get("extensions", {}), TRANSPORT_KEY: transport}
            await app({**scope, "extensions": extensions}, receive, send)

        self.app = with_transport


def _uvicorn_config(app: Any, host: str, port: int, log_level: str) -> uvicorn.Config:
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        http=_DroppableH11,
        lifespan="off",
        log_level=log_level,
        access_log=False,
    )


def serve(
    config: SandboxConfig,
    *,
    host: str = "127.0.0.1",
    port: int = 8765,
    on_listening: Callable[[], None] | None = None,
) -> None:
    """Serve the sandbox until interrupted (blocking).

    Raises :class:`~reconcile.sandbox.http.access.SandboxRefused` for a host beyond loopback while a
    published token is configured (see :mod:`reconcile.sandbox.http.access`), or when the port
    cannot be listened on (in use, say), and
    :class:`~reconcile.sandbox.storage.schema.SchemaTooNew` for a database of a newer sandbox.
    """
    check_exposure(config, host)
    app = HostCheck(create_app(config), served=host)
    server = uvicorn.Server(_uvicorn_config(app, host, port, "info"))
    listener = _listening(host, port)
    if on_listening is not None:
        on_listening()
    server.run(sockets=[listener])


def _listening(host: str, port: int) -> socket.socket:
    """Bind the port here, so that one in use is one clear refusal rather than uvicorn's log."""
    if not 0 <= port <= 65535:
        raise SandboxRefused(f"port {port} does not exist: choose a port from 1 to 65535")
    listener = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    try:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((host, port))
    except OSError as exc:
        listener.close()
        raise SandboxRefused(
            f"cannot listen on {host}:{port}: {exc.strerror or exc}; "
            "is another sandbox running there? Choose another --port"
        ) from None
    listener.set_inheritable(True)
    return listener


@dataclass(frozen=True)
class ServedSandbox:
    """A sandbox served on a local port: ``url`` ends in ``/api/v3``."""

    url: str
    db_path: Path
    token: str
    config: SandboxConfig
    app: Any = None  # the served ASGI app; its ``injected`` counts the faults it answered


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def serve_in_thread(config: SandboxConfig, *, port: int | None = None) -> Iterator[ServedSandbox]:
    """Run the sandbox in a background thread on a free port, ready when this yields."""
    from reconcile.sandbox.config import DEFAULT_TOKEN

    app = HostCheck(create_app(config), served="127.0.0.1")
    with serve_app_in_thread(app, port=port) as url:
        token = next((t for t, s in config.tokens.items() if s == "write"), DEFAULT_TOKEN)
        yield ServedSandbox(url, config.db_path, token, config, app)


@contextmanager
def serve_app_in_thread(app: Any, *, port: int | None = None) -> Iterator[str]:
    """Serve an ASGI ``app`` (the sandbox's, or one wrapping it) on 127.0.0.1 in a background
    thread, on ``port`` or a free one; yields its ``/api/v3`` URL once it listens."""
    port = port or free_port()
    server = uvicorn.Server(_uvicorn_config(app, "127.0.0.1", port, "warning"))
    thread = threading.Thread(target=server.run, name=f"sandbox:{port}", daemon=True)
    thread.start()
    try:
        for _ in range(500):
            if server.started or not thread.is_alive():
                break
            threading.Event().wait(0.01)
        if not server.started:
            raise RuntimeError(f"the sandbox did not start on port {port}")
        yield f"http://127.0.0.1:{port}/api/v3"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
