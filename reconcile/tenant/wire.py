"""The one seam for httpx: a paced, retried, strict-JSON connection to a tenant.

Every request is paced by a token bucket (``Target.rps``) and bounded in flight
(``Target.concurrency``). A 429 waits for ``Retry-After`` (or backs off), and the pacer
(``pacing.py``) sets the bucket's rate from the answers. 5xx answers and connection errors are
retried with backoff and jitter a bounded number of times, but only for requests that are safe to
replay. Bodies go out and answers come back as strict JSON: Infinity and NaN never cross.
Answers are decoded by msgspec (``reconcile/codec.py``, cheaper than the standard library); one it
refuses is judged again by the standard library, so what is accepted, and every error's message,
stay the standard library's.

>>> async with open_http(target) as http:                   # doctest: +SKIP
...     wire = Wire(http, concurrency=8, rps=100.0)
...     body = await wire.request("GET", "profiles", params={"page[size]": "1"})
"""

from __future__ import annotations

import asyncio
import json
import math
import os
import time
from collections.abc import AsyncIterator, Iterator, Mapping
from contextlib import asynccontextmanager, contextmanager
from contextvars import ContextVar
from typing import Any, Protocol
from urllib.parse import quote

import httpx

from reconcile import codec
from reconcile.collector import paused
from reconcile.errors import ApiError, SandboxError, TransportError
from reconcile.settings import Target
from reconcile.tenant.pacing import Pacer
from reconcile.tenant.ratelimit import RetryPolicy, TokenBucket, parse_retry_after

_JSON_BODY = {"Content-Type": "application/json"}
_READ = httpx.ByteStream(b"")
_LOCK_OWN: ContextVar[bool] = ContextVar("reconcile_lock_own", default=False)


class WriteGate(Protocol):
    """What every write passes while an apply holds the tenant's lock (``lock.py``)."""

    @property
    def closed(self) -> bool:
        """True once no write may start any more."""

    async def before_write(self) -> None:
        """Return when a write may start; raise a ``ReconcileError`` when none may."""


@contextmanager
def lock_requests() -> Iterator[None]:
    """The requests made inside are the lock's own (its check and refresh): they pass no gate
    and wait for no slot or token, so a check is never queued behind the writes it admits."""
    token = _LOCK_OWN.set(True)
    try:
        yield
    finally:
        _LOCK_OWN.reset(token)


class Wire:
    """Sends requests over one ``httpx.AsyncClient``; counts calls, retries and 429s."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        concurrency: int = 8,
        rps: float = 1000.0,
        retry: RetryPolicy | None = None,
    ) -> None:
        self._http = http
        self._limit = asyncio.Semaphore(concurrency)
        self._bucket = TokenBucket(rps)
        self.pacer = Pacer(self._bucket)
        self.retry = retry or RetryPolicy()
        self.calls = 0
        self.retries = 0
        self.throttled = 0
        self.gate: WriteGate | None = None
        self.tenant = ""  # "tenant 'staging' at https://...", for the messages of no answer

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        json: Any = None,
        missing_ok: bool = False,
        replay_safe: bool | None = None,
    ) -> Any:
        """Send with pacing and retries; ``replay_safe`` defaults to "not a POST"."""
        replayable = method != "POST" if replay_safe is None else replay_safe
        content = None if json is None else encode_body(json, method, path)
        failures = throttles = 0
        # every attempt passes the gate: a retry must not outlive a broken lock either
        gate = None if method == "GET" or _LOCK_OWN.get() else self.gate
        while True:
            sent_at, response = await self._send(
                method, path, params=params, content=content, gate=gate
            )
            if isinstance(response, httpx.Response) and response.status_code == 429:
                throttles += 1
                self.throttled += 1
                if throttles >= self.retry.throttled_attempts:
                    raise api_error(response, method, path)
                pause = parse_retry_after(response.headers.get("Retry-After"))
                wait = self.retry.delay(throttles) if pause is None else pause
                self.pacer.answered(sent_at, throttled=True, retry_after=wait)
                # This request waits (a little past the moment, so retries do not land together);
                # the others go on at the rate the pacer sets.
                await asyncio.sleep(wait * self.retry.rng.uniform(1.0, 1.2))
                continue
            if isinstance(response, httpx.Response) and response.status_code < 500:
                break
            failures += 1
            if not replayable or failures >= self.retry.attempts:
                raise (
                    response
                    if isinstance(response, ApiError)
                    else api_error(response, method, path)
                )
            self.retries += 1
            await asyncio.sleep(self.retry.delay(failures))
        self.pacer.answered(sent_at, throttled=False)
        if missing_ok and response.status_code == 404:
            return None
        if response.status_code >= 400:
            raise api_error(response, method, path)
        if response.status_code == 204 or not response.content:
            return None
        return decode_answer(response, method, path)

    async def _send(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None,
        content: bytes | None,
        gate: WriteGate | None = None,
    ) -> tuple[float, httpx.Response | TransportError]:
        """Send once; returns when it was sent (the pacer's clock) and the answer or error."""
        if _LOCK_OWN.get():
            return await self._transmit(method, path, params=params, content=content)
        async with self._limit:
            # The token is taken once a slot is free: taken before, tokens pile up in callers
            # queued for a slot and are then spent at once, a burst past the tenant's limit.
            await self._bucket.acquire()
            if gate is not None:  # checked last: the write goes out at once if admitted
                await gate.before_write()
            return await self._transmit(method, path, params=params, content=content)

    async def _transmit(
        self, method: str, path: str, *, params: Mapping[str, str] | None, content: bytes | None
    ) -> tuple[float, httpx.Response | TransportError]:
        self.calls += 1
        sent_at = time.monotonic()
        try:
            headers = _JSON_BODY if content is not None else None
            answer = await self._http.request(
                method, path, params=params, content=content, headers=headers
            )
            # The body is read. httpx's response and its stream refer to each other, so with
            # the collector paused (planning pauses it) every answer, a listing page of
            # 1.8 MB included, would stay until the end: dropping the stream frees it now.
            answer.stream = _READ
            return sent_at, answer
        except httpx.HTTPError as exc:
            return sent_at, TransportError(
                unreachable(exc), method=method, path=path, tenant=self.tenant
            )


def unreachable(exc: httpx.HTTPError) -> str:
    """Why a request got no answer, in a person's words: the operating system's reason when
    one is known (``connection refused``, ``name or service not known``)."""
    if isinstance(exc, httpx.TimeoutException):
        return "no answer in time (timeout)"
    if isinstance(exc, httpx.RemoteProtocolError):
        return "the connection was dropped"
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, OSError) and cause.errno is not None:
            reason = os.strerror(cause.errno) if cause.errno > 0 else str(cause.strerror)
            return reason.lower()
        cause = cause.__cause__ or cause.__context__
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:120]


@asynccontextmanager
async def open_http(target: Target) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client for ``target``: its URL and token, or the embedded sandbox in-process."""
    headers = {
        "Authorization": f"Bearer {target.token.get_secret_value()}",
        "Accept": "application/json",
        "User-Agent": "reconcile/0.1",
    }
    async with httpx.AsyncClient(
        base_url=target.url + "/",
        headers=headers,
        transport=_transport_for(target),
        timeout=httpx.Timeout(30.0),
        limits=httpx.Limits(max_connections=target.concurrency * 2),
    ) as http:
        yield http


class _SandboxTransport(httpx.AsyncBaseTransport):
    """Runs the embedded sandbox in-process; a dropped connection surfaces as an httpx error."""

    def __init__(self, app: Any) -> None:
        self._asgi = httpx.ASGITransport(app=app)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        from reconcile.sandbox import ConnectionDropped

        try:
            return await self._asgi.handle_async_request(request)
        except ConnectionDropped:
            raise httpx.RemoteProtocolError("connection dropped", request=request) from None


def _transport_for(target: Target) -> httpx.AsyncBaseTransport | None:
    if target.sandbox_db is None:
        return None
    from reconcile.sandbox import SandboxConfig, create_app
    from reconcile.sandbox.storage.schema import SchemaTooNew, UnusableDatabase

    db = target.sandbox_db
    faults = target.sandbox_faults.model_dump()
    try:
        app = create_app(SandboxConfig(db_path=db, **faults))
    except SchemaTooNew as exc:  # the sandbox's own errors, translated where the tool reaches it
        raise SandboxError(f"{db}: {exc}; upgrade reconcile, or move it") from None
    except UnusableDatabase as exc:
        raise SandboxError(
            f"{db}: {exc}: move it away, or delete it to start an empty sandbox"
        ) from None
    return _SandboxTransport(app)


def quote_segment(segment: str) -> str:
    return quote(segment, safe="")


def encode_body(body: Any, method: str, path: str) -> bytes:
    """The request body as strict JSON: Infinity and NaN are refused here, not sent."""
    try:
        return json.dumps(body, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode()
    except ValueError:
        message = "the request holds Infinity or NaN, which JSON (so Omneo) cannot carry"
        raise ApiError(message, method=method, path=path) from None


def decode_answer(response: httpx.Response, method: str, path: str) -> Any:
    """The answer as strict JSON: a tenant's Infinity or NaN is an error, never a value."""
    try:
        with paused():
            # Strict already: it refuses NaN and Infinity, numbers that overflow a float, bad
            # UTF-8 and trailing text, and keeps integers of any size exact.
            return codec.decode(response.content)
    except codec.DecodeError:  # refused: the standard library says why, or reads it after all
        return _decode_slowly(response, method, path)


def _decode_slowly(response: httpx.Response, method: str, path: str) -> Any:
    # What msgspec refuses and json reads: a UTF-8 byte order mark, UTF-16 or UTF-32 text, and
    # a lone surrogate escape ("\ud800"); everything else it refuses ends in an ApiError here.
    def refuse(text: str) -> Any:
        message = f"the answer holds {text}, which is not a JSON number"
        raise ApiError(message, status=response.status_code, method=method, path=path)

    def finite(text: str) -> float:
        number = float(text)
        # 1e400 is valid JSON, but not a number Python can hold
        return refuse(text) if number in (math.inf, -math.inf) else number

    try:
        return json.loads(response.content, parse_constant=refuse, parse_float=finite)
    except (json.JSONDecodeError, UnicodeDecodeError):
        message = "the answer is not JSON"
        raise ApiError(message, status=response.status_code, method=method, path=path) from None


def api_error(response: httpx.Response, method: str, path: str) -> ApiError:
    try:
        body = decode_answer(response, method, path)
    except ApiError:
        body = {}
    body = body if isinstance(body, dict) else {}
    message = str(body.get("message") or response.reason_phrase or "error")
    errors = body.get("errors") if isinstance(body.get("errors"), dict) else None
    return ApiError(message, status=response.status_code, method=method, path=path, errors=errors)
