"""Answers in the SDK style (``SandboxConfig.answer_style = "sdk"``): each successful JSON answer
of the app is rewritten into the SDK types' forms (:mod:`reconcile.sandbox.schemas.sdk_forms`).

Only installed for that style, so the reference style costs nothing. Error answers keep their
documented shape (``docs/errors.md``); requests are not touched, so writes are as strict.
"""

from __future__ import annotations

from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from reconcile.sandbox.jsonio import encode, stored_json
from reconcile.sandbox.schemas.sdk_forms import profile_ids, sdk_form
from reconcile.sandbox.storage import attributes
from reconcile.sandbox.storage.store import Store

_DESCRIPTIONS = ("/openapi.json", "/docs")  # the API's description is not an answer to reshape


class SdkStyle:
    """ASGI middleware: a 2xx JSON answer of ``app``, re-encoded in the SDK's forms."""

    def __init__(self, app: ASGIApp, store: Store) -> None:
        self.app = app
        self.store = store

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or str(scope["path"]).endswith(_DESCRIPTIONS):
            await self.app(scope, receive, send)
            return
        start: dict[str, Any] = {}
        chunks: list[bytes] = []

        async def held(message: Message) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
                return
            if message["type"] != "http.response.body":
                await send(message)
                return
            chunks.append(message.get("body", b""))
            if not message.get("more_body"):
                await self._answer(start, b"".join(chunks), send)

        await self.app(scope, receive, held)

    async def _answer(self, start: dict[str, Any], body: bytes, send: Send) -> None:
        headers = list(start.get("headers", []))
        if 200 <= start.get("status", 500) < 300 and body and _is_json(headers):
            body = encode(self._reshaped(stored_json(body)))
            headers = [(k, v) for k, v in headers if k.lower() != b"content-length"]
            headers.append((b"content-length", str(len(body)).encode()))
        await send({**start, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    def _reshaped(self, answer: Any) -> Any:
        ids = profile_ids(answer)
        customs = {}
        if ids:
            with self.store.read() as conn:
                customs = attributes.items_by_profile(conn, ids)
        return sdk_form(answer, customs)


def _is_json(headers: list[tuple[bytes, bytes]]) -> bool:
    return any(k.lower() == b"content-type" and b"json" in v for k, v in headers)
