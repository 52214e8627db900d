"""Faults on demand, as an ASGI middleware: latency, a rate limit, 5xx answers, dropped connections.

Order per request: the rate limit (429 + ``Retry-After``), then a random share of 429s
(``throttle_rate``), then a simulated 5xx (before any
processing), then the added latency, then the app; a drop lets the app process the request and
then discards its answer. Served by uvicorn the socket is aborted (see ``server.py``); in process
:class:`ConnectionDropped` is raised, which a client maps to a transport error.
"""

from __future__ import annotations

import asyncio
import json
import math
import random
import threading
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from reconcile.sandbox.config import SandboxConfig
from reconcile.sandbox.problems import MESSAGES

TRANSPORT_KEY = "reconcile.sandbox.transport"


class ConnectionDropped(Exception):
    """The sandbox processed the request and then dropped the connection without answering."""


class TokenBucket:
    """``rate`` requests per second with a burst of ``max(1, rate)``; thread-safe.

    ``clock`` is for tests that drive it in simulated time.
    """

    def __init__(self, rate: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = rate
        self.capacity = max(1.0, rate)
        self.tokens = self.capacity
        self.clock = clock
        self.stamp = clock()
        self.lock = threading.Lock()

    def take(self) -> float:
        """0 when a request may pass now, else the seconds until it may."""
        with self.lock:
            now = self.clock()
            self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
            self.stamp = now
            if self.tokens >= 1:
                self.tokens -= 1
                return 0.0
            return (1 - self.tokens) / self.rate


class Faults:
    def __init__(self, app: ASGIApp, config: SandboxConfig) -> None:
        self.app = app
        self.config = config
        self.random = random.Random(config.seed)
        self.bucket = TokenBucket(config.rate_limit_rps) if config.rate_limit_rps else None
        self.injected: Counter[str] = Counter()  # faults answered so far, by kind (for tests)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/api/v3/") or _is_docs(scope):
            await self.app(scope, receive, send)
            return
        if self.bucket is not None:
            wait = self.bucket.take()
            if wait > 0:
                self.injected["429"] += 1
                retry = str(max(1, math.ceil(wait)))
                await _answer(
                    send, 429, {"message": MESSAGES[429]}, [(b"retry-after", retry.encode())]
                )
                return
        if self.config.throttle_rate and self.random.random() < self.config.throttle_rate:
            self.injected["429"] += 1
            await _answer(send, 429, {"message": MESSAGES[429]}, [(b"retry-after", b"1")])
            return
        if self.config.error_rate and self.random.random() < self.config.error_rate:
            self.injected["5xx"] += 1
            await _answer(send, 503, {"message": MESSAGES[503]}, [])
            return
        if self.config.latency_ms:
            await asyncio.sleep(self.config.latency_ms / 1000)
        if self.config.drop_rate and self.random.random() < self.config.drop_rate:
            self.injected["dropped"] += 1
            await self._process_then_drop(scope, receive)
            return
        await self.app(scope, receive, send)

    async def _process_then_drop(self, scope: Scope, receive: Receive) -> None:
        async def discard(message: Message) -> None:
            return None

        await self.app(scope, receive, discard)
        transport = scope.get("extensions", {}).get(TRANSPORT_KEY)
        if transport is None:
            raise ConnectionDropped(f"{scope['method']} {scope['path']}: connection dropped")
        transport.abort()
        for _ in range(3):  # let uvicorn see the disconnect before it looks at the response state
            await asyncio.sleep(0)


def _is_docs(scope: Scope) -> bool:
    return str(scope["path"]).endswith(("/openapi.json", "/docs"))


async def _answer(send: Send, status: int, body: dict[str, Any], headers: list[Any]) -> None:
    payload = json.dumps(body).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(payload)).encode()),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})
