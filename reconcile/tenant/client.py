"""An async client for the Omneo Profiles API v3; the one seam for httpx.

Only endpoints and parameters that ``docs/`` records for the real API are used, so what works
against the sandbox works against a tenant.

Every request is paced by a token bucket (``Target.rps``) and bounded in flight
(``Target.concurrency``). A 429 waits for ``Retry-After`` (or backs off), and the pacer
(``pacing.py``) sets the bucket's rate from the answers: it finds a real limit and ignores
scattered 429s. 5xx answers and connection errors are retried with backoff and jitter a bounded
number of times, but only for requests that are safe to replay: a POST whose answer was lost may
have been processed, so it is raised to the caller, who checks before trying again (see
``writes.py``). Other 4xx answers are never retried.

>>> async with OmneoClient.open(target) as client:          # doctest: +SKIP
...     owned = await client.list_identities("reconcile")
...     print(client.calls, "API calls")
"""

from __future__ import annotations

import asyncio
import json
import math
import time
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import quote

import httpx
from pydantic import ValidationError

from reconcile.errors import ApiError, SandboxError, TransportError
from reconcile.model.fields import JsonValue
from reconcile.model.observed import DELETED_TYPE, ObservedProfile
from reconcile.settings import Target
from reconcile.tenant.pacing import Pacer
from reconcile.tenant.ratelimit import RetryPolicy, TokenBucket, parse_retry_after
from reconcile.tenant.responses import (
    BatchStatus,
    CustomAttributeItem,
    OwnedProfile,
    ProfilePage,
    StoredAddress,
    owned_profile,
    profile_page,
)

PAGE_SIZE = 500
_JSON_BODY = {"Content-Type": "application/json"}
ProfileFields = Mapping[str, JsonValue]


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
    from reconcile.sandbox.schema import SchemaTooNew

    target.sandbox_db.parent.mkdir(parents=True, exist_ok=True)
    faults = target.sandbox_faults.model_dump()
    try:
        app = create_app(SandboxConfig(db_path=target.sandbox_db, **faults))
    except SchemaTooNew as exc:  # the sandbox's own error, translated where the tool reaches it
        raise SandboxError(f"{target.sandbox_db}: {exc}; upgrade reconcile, or move it") from None
    return _SandboxTransport(app)


class OmneoClient:
    """Typed calls over one ``httpx.AsyncClient``; counts the API calls it makes."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        concurrency: int = 8,
        rps: float = 1000.0,
        retry: RetryPolicy | None = None,
        batch_by_default: bool = True,
    ) -> None:
        self._http = http
        # Whether a plain apply may batch creates and adoptions when that is cheaper: not on a
        # production tenant, where batching stays an explicit choice (apply --bulk and its guard).
        self.batch_by_default = batch_by_default
        self._limit = asyncio.Semaphore(concurrency)
        self._bucket = TokenBucket(rps)
        self.pacer = Pacer(self._bucket)
        self._retry = retry or RetryPolicy()
        self.calls = 0
        self.retries = 0
        self.throttled = 0

    @property
    def rps(self) -> float:
        """The tenant's configured rate (requests per second); the pacer may go slower."""
        return self.pacer.configured

    @property
    def retry_policy(self) -> RetryPolicy:
        return self._retry

    @classmethod
    @asynccontextmanager
    async def open(
        cls, target: Target, *, retry: RetryPolicy | None = None
    ) -> AsyncIterator[OmneoClient]:
        headers = {
            "Authorization": f"Bearer {target.token.get_secret_value()}",
            "Accept": "application/json",
            "User-Agent": "reconcile/0.1",
        }
        limits = httpx.Limits(max_connections=target.concurrency * 2)
        async with httpx.AsyncClient(
            base_url=target.url + "/",
            headers=headers,
            transport=_transport_for(target),
            timeout=httpx.Timeout(30.0),
            limits=limits,
        ) as http:
            yield cls(
                http,
                concurrency=target.concurrency,
                rps=target.rps,
                retry=retry,
                batch_by_default=target.kind != "production",
            )

    # -- reading ---------------------------------------------------------------------------

    async def list_identities(self, handle: str) -> list[OwnedProfile]:
        """Every identity of ``handle`` with its profile: page 1, then the rest concurrently."""
        params = {"filter[handle]": handle, "include": "profile", "page[size]": str(PAGE_SIZE)}

        async def page(number: int) -> tuple[int, list[OwnedProfile]]:
            body = await self._request(
                "GET", "identities", params={**params, "page[number]": str(number)}
            )
            # Typed as each page arrives: 200 pages of raw JSON held to the end cost a GB.
            owned = [owned_profile(item) for item in body["data"] if item.get("profile")]
            return int(body.get("meta", {}).get("last_page", 1)), owned

        last_page, first = await page(1)
        rest = await asyncio.gather(*(page(n) for n in range(2, last_page + 1)))
        return [*first, *(o for _, owned in rest for o in owned)]

    async def get_profile(self, profile_id: str) -> ObservedProfile | None:
        body = await self._request("GET", f"profiles/{profile_id}", missing_ok=True)
        return None if body is None else ObservedProfile.from_api(body["data"])

    async def find_by_identity(self, handle: str, identifier: str) -> ObservedProfile | None:
        body = await self._request(
            "GET",
            f"profiles/{_quote(identifier)}",
            params={"identity[handle]": handle},
            missing_ok=True,
        )
        return None if body is None else ObservedProfile.from_api(body["data"])

    async def find_by_field(self, field: str, value: str) -> list[ObservedProfile]:
        """Exact match on ``filter[email]`` or ``filter[mobile_phone]`` (never fuzzy search)."""
        body = await self._request("GET", "profiles", params={f"filter[{field}]": value})
        return [ObservedProfile.from_api(item) for item in body["data"]]

    # -- writing ---------------------------------------------------------------------------

    async def create_profile(self, fields: ProfileFields) -> ObservedProfile:
        body = await self._request("POST", "profiles", json=dict(fields))
        return ObservedProfile.from_api(body["data"])

    async def update_profile(self, profile_id: str, fields: ProfileFields) -> ObservedProfile:
        body = await self._request("PUT", f"profiles/{profile_id}", json=dict(fields))
        return ObservedProfile.from_api(body["data"])

    async def delete_profile(self, profile_id: str) -> None:
        await self._request("DELETE", f"profiles/{profile_id}")

    async def restore_profile(self, profile_id: str) -> None:
        """Undo a soft delete: ``PUT /profiles/{id}/update-type`` back to ``active``.

        Omneo documents no restore endpoint; the update-type endpoint is the documented write of
        ``profile_type``, and the only one that reaches a soft-deleted profile (docs/sandbox.md).
        """
        await self._request(
            "PUT", f"profiles/{profile_id}/update-type", json={"profile_type": "active"}
        )

    async def purge_profile(self, profile_id: str) -> None:
        # Purging twice is harmless (the second answers 404), so a lost answer may be replayed.
        await self._request("POST", f"profiles/{profile_id}/purge", replay_safe=True)

    async def add_identity(self, profile_id: str, handle: str, identifier: str) -> None:
        payload = {"handle": handle, "identifier": identifier}
        await self._request("POST", f"profiles/{profile_id}/identities", json=payload)

    async def update_identity(self, profile_id: str, handle: str, identifier: str) -> None:
        path = f"profiles/{profile_id}/identities/{_quote(handle)}"
        await self._request("PUT", path, json={"identifier": identifier})

    async def delete_identity(self, profile_id: str, handle: str) -> None:
        await self._request("DELETE", f"profiles/{profile_id}/identities/{_quote(handle)}")

    async def list_addresses(self, profile_id: str) -> list[StoredAddress]:
        """``GET /profiles/{id}/addresses``: the profile's addresses, each with its ``id``."""
        body = await self._request("GET", f"profiles/{profile_id}/addresses")
        return [StoredAddress.of(item) for item in body["data"] if isinstance(item, dict)]

    async def add_address(self, profile_id: str, address: ProfileFields) -> None:
        await self._request("POST", f"profiles/{profile_id}/addresses", json=dict(address))

    async def update_address(
        self, profile_id: str, address_id: str, address: ProfileFields
    ) -> None:
        path = f"profiles/{profile_id}/addresses/{_quote(address_id)}"
        await self._request("PUT", path, json=dict(address))

    async def delete_address(self, profile_id: str, address_id: str) -> None:
        await self._request("DELETE", f"profiles/{profile_id}/addresses/{_quote(address_id)}")

    async def update_comms(self, profile_id: str, flags: ProfileFields) -> None:
        await self._request("PUT", f"profiles/{profile_id}/attributes/comms", json=dict(flags))

    async def put_custom_attribute(
        self, profile_id: str, namespace: str, handle: str, kind: str, value: JsonValue
    ) -> None:
        path = f"profiles/{profile_id}/attributes/custom/{_quote(namespace)}:{_quote(handle)}"
        await self._request("PUT", path, json={"type": kind, "value": value})

    async def delete_custom_attribute(self, profile_id: str, namespace: str, handle: str) -> None:
        path = f"profiles/{profile_id}/attributes/custom/{_quote(namespace)}:{_quote(handle)}"
        await self._request("DELETE", path)

    async def delete_date(self, profile_id: str, date_id: int) -> None:
        """``DELETE /profiles/{id}/attributes/dates/{dateId}`` (dates are added and updated
        inline, with ``dates_attributes`` in ``PUT /profiles/{id}``)."""
        await self._request("DELETE", f"profiles/{profile_id}/attributes/dates/{int(date_id)}")

    # -- batches ---------------------------------------------------------------------------

    async def submit_batch(
        self, match_criteria: str, profiles: list[dict[str, JsonValue]]
    ) -> str | None:
        """Queue ``POST /profiles/batch``; the batch id to follow, when the API gives one.

        Replaying a batch is safe when ``match_criteria`` is an identity every item carries: the
        second run matches the profiles the first one created.
        """
        payload = {"match_criteria": match_criteria, "profiles": profiles}
        body = await self._request("POST", "profiles/batch", json=payload, replay_safe=True)
        data = body.get("data") if isinstance(body, dict) else None
        batch_id = data.get("batch_id") if isinstance(data, dict) else None
        return None if batch_id is None else str(batch_id)

    async def get_batch(self, batch_id: str) -> BatchStatus:
        """``GET /batches/{id}``: status and counts of a queued batch, and its failed items."""
        body = await self._request("GET", f"batches/{_quote(batch_id)}")
        data = body.get("data") if isinstance(body, dict) else None
        try:
            return BatchStatus.model_validate(data if isinstance(data, dict) else {})
        except ValidationError:
            message = "the batch status is not in the documented shape"
            raise ApiError(message, method="GET", path=f"batches/{batch_id}") from None

    # -- the one place that talks HTTP -----------------------------------------------------

    async def _request(
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
        content = None if json is None else _encode(json, method, path)
        failures = throttles = 0
        while True:
            sent_at, response = await self._send(method, path, params=params, content=content)
            if isinstance(response, httpx.Response) and response.status_code == 429:
                throttles += 1
                self.throttled += 1
                if throttles >= self._retry.throttled_attempts:
                    raise _api_error(response, method, path)
                pause = parse_retry_after(response.headers.get("Retry-After"))
                wait = self._retry.delay(throttles) if pause is None else pause
                self.pacer.answered(sent_at, throttled=True, retry_after=wait)
                # This request waits (a little past the moment, so retries do not land together);
                # the others go on at the rate the pacer sets.
                await asyncio.sleep(wait * self._retry.rng.uniform(1.0, 1.2))
                continue
            if isinstance(response, httpx.Response) and response.status_code < 500:
                break
            failures += 1
            if not replayable or failures >= self._retry.attempts:
                raise (
                    response
                    if isinstance(response, ApiError)
                    else _api_error(response, method, path)
                )
            self.retries += 1
            await asyncio.sleep(self._retry.delay(failures))
        self.pacer.answered(sent_at, throttled=False)
        if missing_ok and response.status_code == 404:
            return None
        if response.status_code >= 400:
            raise _api_error(response, method, path)
        if response.status_code == 204 or not response.content:
            return None
        return _decode(response, method, path)

    async def _send(
        self, method: str, path: str, *, params: Mapping[str, str] | None, content: bytes | None
    ) -> tuple[float, httpx.Response | TransportError]:
        """Send once; returns when it was sent (the pacer's clock) and the answer or error."""
        async with self._limit:
            # The token is taken once a slot is free: taken before, tokens pile up in callers
            # queued for a slot and are then spent at once, a burst past the tenant's limit.
            await self._bucket.acquire()
            self.calls += 1
            sent_at = time.monotonic()
            try:
                headers = _JSON_BODY if content is not None else None
                answer = await self._http.request(
                    method, path, params=params, content=content, headers=headers
                )
                return sent_at, answer
            except httpx.HTTPError as exc:
                return sent_at, TransportError(type(exc).__name__, method=method, path=path)

    # -- listing for export and teardown --------------------------------------------------

    async def list_profiles_page(
        self, filters: Mapping[str, str], *, number: int, size: int = PAGE_SIZE
    ) -> ProfilePage:
        """One page of ``GET /profiles``; ``filters`` holds ``filter[...]`` and ``search``.

        Sorted by creation time, so pages stay stable while profiles are added at the end.
        """
        params = {
            **filters,
            "sort": "created_at",
            "page[size]": str(size),
            "page[number]": str(number),
        }
        body = await self._request("GET", "profiles", params=params)
        page = profile_page([ObservedProfile.from_api(item) for item in body["data"]], body, number)
        shown = all(isinstance(item.get("identities"), list) for item in body["data"])
        return page.model_copy(update={"with_identities": shown})

    async def list_deleted_profiles(self) -> list[ObservedProfile]:
        """Every soft-deleted profile (``filter[profile_type]=deleted``, the documented way to
        list them): page 1, then the rest concurrently. Usually one call: few are deleted."""
        filters = {"filter[profile_type]": DELETED_TYPE}
        first = await self.list_profiles_page(filters, number=1)
        rest = await asyncio.gather(
            *(self.list_profiles_page(filters, number=n) for n in range(2, first.last_page + 1))
        )
        return [p for page in (first, *rest) for p in page.profiles if p.deleted]

    async def list_handle_profiles_page(
        self, handle: str, *, number: int, size: int = PAGE_SIZE
    ) -> ProfilePage:
        """One page of the profiles holding an identity of ``handle`` (``GET /identities``)."""
        params = {
            "filter[handle]": handle,
            "include": "profile",
            "page[size]": str(size),
            "page[number]": str(number),
        }
        body = await self._request("GET", "identities", params=params)
        profiles = [owned_profile(item).profile for item in body["data"] if item.get("profile")]
        return profile_page(profiles, body, number)

    async def list_custom_attributes(self, profile_id: str) -> list[CustomAttributeItem]:
        """The typed custom attributes of one profile (a profile shows only their values)."""
        body = await self._request("GET", f"profiles/{profile_id}/attributes/custom")
        return [CustomAttributeItem.model_validate(item) for item in body["data"]]


def _quote(segment: str) -> str:
    return quote(segment, safe="")


def _encode(body: Any, method: str, path: str) -> bytes:
    """The request body as strict JSON: Infinity and NaN are refused here, not sent."""
    try:
        return json.dumps(body, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode()
    except ValueError:
        message = "the request holds Infinity or NaN, which JSON (so Omneo) cannot carry"
        raise ApiError(message, method=method, path=path) from None


def _decode(response: httpx.Response, method: str, path: str) -> Any:
    """The answer as strict JSON: a tenant's Infinity or NaN is an error, never a value."""

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


def _api_error(response: httpx.Response, method: str, path: str) -> ApiError:
    try:
        body = _decode(response, method, path)
    except ApiError:
        body = {}
    body = body if isinstance(body, dict) else {}
    message = str(body.get("message") or response.reason_phrase or "error")
    errors = body.get("errors") if isinstance(body.get("errors"), dict) else None
    return ApiError(message, status=response.status_code, method=method, path=path, errors=errors)
