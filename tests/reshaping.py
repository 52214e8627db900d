"""A reshaping proxy: the sandbox served over HTTP, its answers rewritten into the other forms a
real tenant may use (docs/tenant-compatibility.md), as a new user tried it against Omneo's SDK
types. Requests pass through unchanged, so writes stay the sandbox's strict ones.

>>> with reshaped_sandbox(tmp_path, sdk_forms) as served:        # doctest: +SKIP
...     project.cli("plan", env=served.env)
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reconcile.sandbox import DEFAULT_TOKEN, SandboxConfig, create_app
from reconcile.sandbox.http.server import serve_app_in_thread

Reshape = Callable[[Any], Any]
_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")
_TIMESTAMPS = ("joined_at", "created_at", "updated_at")
_BIRTH = ("birth_day", "birth_month", "birth_year")
VERIFICATIONS = ("email_verification", "sms_verification", "phone_verification",
                 "post_verification")  # fmt: skip


def sdk_forms(body: Any) -> Any:
    """Every form of the SDK's types at once: custom attributes as items, text ids, ISO
    timestamps, text birth fields, ``[]`` for empty objects."""
    return chain(custom_items, text_ids(""), iso_timestamps, text_birth, php_empty)(body)


def _walk(value: Any, change: Callable[[dict[str, Any]], dict[str, Any]]) -> Any:
    if isinstance(value, list):
        return [_walk(item, change) for item in value]
    if isinstance(value, dict):
        return change({key: _walk(item, change) for key, item in value.items()})
    return value


def _objects(change: Callable[[dict[str, Any]], dict[str, Any]]) -> Reshape:
    return lambda body: _walk(body, change)


def text_ids(prefix: str) -> Reshape:
    """Every integer id as text (``prefix`` makes it non-numeric: ``idt-3``)."""

    def change(item: dict[str, Any]) -> dict[str, Any]:
        ident = item.get("id")
        return {**item, "id": f"{prefix}{ident}"} if isinstance(ident, int) else item

    return _objects(change)


def _iso(item: dict[str, Any]) -> dict[str, Any]:
    out = dict(item)
    for name in _TIMESTAMPS:
        value = out.get(name)
        if isinstance(value, str) and _TIMESTAMP.match(value):
            out[name] = value.replace(" ", "T") + ".000000Z"
    return out


def _birth(item: dict[str, Any]) -> dict[str, Any]:
    return {k: str(v) if k in _BIRTH and isinstance(v, int) else v for k, v in item.items()}


def _items(item: dict[str, Any]) -> dict[str, Any]:
    custom = item.get("custom_attributes")
    if not (isinstance(custom, dict) and "identities" in item):
        return item
    items = [
        {"id": n, "profile_id": item.get("id"), "namespace": namespace, "handle": handle,
         "type": _type(value), "value": value, "created_at": "2020-01-01 00:00:00"}
        for n, (namespace, handle, value) in enumerate(_flat(custom), start=1)
    ]  # fmt: skip
    return {**item, "custom_attributes": items}


def _empty(item: dict[str, Any]) -> dict[str, Any]:
    return {k: [] if v == {} else v for k, v in item.items()}  # PHP's empty array


iso_timestamps = _objects(_iso)
text_birth = _objects(_birth)
custom_items = _objects(_items)
php_empty = _objects(_empty)


def _flat(custom: dict[str, Any]) -> Iterator[tuple[str, str, Any]]:
    for namespace, handles in sorted(custom.items()):
        for handle, value in sorted(handles.items()):
            yield namespace, handle, value


def _type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "float"
    if isinstance(value, list):
        return "array"
    return "json" if isinstance(value, dict) else "string"


def verified(body: Any) -> Any:
    """Every channel's verification state set, as Omneo sets it itself (``not_sent``)."""

    def change(item: dict[str, Any]) -> dict[str, Any]:
        if "email_promo" in item:
            return {**item, **{name: item.get(name) or "not_sent" for name in VERIFICATIONS}}
        return item

    return _walk(body, change)


def profiles_where(test: Callable[[dict[str, Any]], bool], edit: Reshape) -> Reshape:
    """Apply ``edit`` to every profile object that ``test`` accepts."""

    def change(item: dict[str, Any]) -> dict[str, Any]:
        return edit(item) if "identities" in item and "attributes" in item and test(item) else item

    return lambda body: _walk(body, change)


def chain(*reshapes: Reshape) -> Reshape:
    def all_of(body: Any) -> Any:
        for reshape in reshapes:
            body = reshape(body)
        return body

    return all_of


class _Reshaping:
    """ASGI: the inner app's JSON answers, rewritten by ``reshape``."""

    def __init__(self, inner: Any, reshape: Reshape) -> None:
        self.inner, self.reshape = inner, reshape

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.inner(scope, receive, send)
            return
        start: dict[str, Any] = {}
        chunks: list[bytes] = []

        async def capture(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
                if not message.get("more_body"):
                    await self._send(start, b"".join(chunks), send)

        await self.inner(scope, receive, capture)

    async def _send(self, start: dict[str, Any], body: bytes, send: Any) -> None:
        headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
        if body and any(k.lower() == b"content-type" and b"json" in v for k, v in headers):
            body = json.dumps(self.reshape(json.loads(body))).encode()
        headers.append((b"content-length", str(len(body)).encode()))
        await send({**start, "headers": headers})
        await send({"type": "http.response.body", "body": body})


@dataclass(frozen=True)
class Reshaped:
    url: str
    token: str

    @property
    def env(self) -> dict[str, str]:
        return {"OMNEO_URL": self.url, "OMNEO_TOKEN": self.token}


@contextmanager
def reshaped_sandbox(tmp_path: Path, reshape: Reshape) -> Iterator[Reshaped]:
    """A fresh sandbox behind the reshaping proxy, served on a free loopback port."""
    app = _Reshaping(create_app(SandboxConfig(db_path=tmp_path / "reshaped" / "t.db")), reshape)
    with serve_app_in_thread(app) as url:
        yield Reshaped(url, DEFAULT_TOKEN)
