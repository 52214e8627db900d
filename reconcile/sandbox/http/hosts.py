"""The ``Host`` check of a sandbox served on loopback: DNS rebinding cannot reach it.

A web page can make a browser send requests to a name it controls that resolves to 127.0.0.1;
the browser then sends that name in ``Host``. A sandbox listening on loopback answers only when
``Host`` names a loopback address, ``localhost`` (or a name under ``.localhost``) or the host it
was served on; anything else gets ``421`` in the error shape of ``docs/errors.md``, before
authentication or any fault. A sandbox served beyond loopback needs a chosen token, which a page
does not know, so it takes any ``Host``.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

from reconcile.sandbox.http.access import is_loopback
from reconcile.sandbox.problems import MESSAGES


def host_name(header: str) -> str:
    """The name in a ``Host`` header, without its port: ``[::1]:8765`` → ``::1``."""
    header = header.strip().lower()
    if header.startswith("["):
        return header[1 : header.find("]")] if "]" in header else header
    name, colon, port = header.rpartition(":")
    return name if colon and port.isdigit() else header


def allowed_host(header: str, served: str) -> bool:
    name = host_name(header).rstrip(".")
    return (
        is_loopback(name)
        or name == "localhost"
        or name.endswith(".localhost")
        or name == served.strip("[]").lower()
    )


class HostCheck:
    """Answers 421 to a request whose ``Host`` is not one a loopback sandbox serves."""

    def __init__(self, app: ASGIApp, served: str) -> None:
        self.app = app
        self.served = served
        self.checked = is_loopback(served)

    def __getattr__(self, name: str) -> Any:  # the wrapped app's state and fault counters
        return getattr(self.app, name)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.checked and scope["type"] == "http":
            headers = dict(scope.get("headers") or [])
            host = headers.get(b"host")
            if host is not None and not allowed_host(host.decode("latin-1"), self.served):
                await _misdirected(send)
                return
        await self.app(scope, receive, send)


async def _misdirected(send: Send) -> None:
    body = json.dumps({"message": MESSAGES[421]}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 421,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
