"""Refuse a request body over its route's limit (413) before reading it, as a real API's proxy does.

A declared ``Content-Length`` over the limit is answered at once, without reading a byte of the
body. A body without one (chunked), or longer than it declared, is counted as it streams in and
refused as soon as the count passes the limit, so a 300 MB upload costs the server about the
limit in memory, not the upload's size several times over.
"""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from reconcile.sandbox.problems import ApiProblem
from reconcile.sandbox.rules.limits import BODY_TOO_LARGE, body_limit


class BodyTooLarge(ApiProblem):
    """Raised while the body streams in; rendered as the 413 by the app's error handler."""

    def __init__(self) -> None:
        # The rest of the body is never read, so the connection cannot carry another request.
        super().__init__(413, BODY_TOO_LARGE, headers={"Connection": "close"})


class BodyLimit:
    """ASGI middleware: ``413 {"message": ...}`` for a body over its route's ``body_limit``."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = body_limit(str(scope["path"]))
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await _too_large(send)
            return
        received = 0
        started = False

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge()
            return message

        async def watched(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, watched)
        except BodyTooLarge:
            if started:
                raise
            await _too_large(send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            text = value.decode("latin-1").strip()
            return int(text) if text.isdigit() else None
    return None


async def _too_large(send: Send) -> None:
    payload = json.dumps({"message": BODY_TOO_LARGE}).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(payload)).encode()),
        (b"connection", b"close"),
    ]
    await send({"type": "http.response.start", "status": 413, "headers": headers})
    await send({"type": "http.response.body", "body": payload})
