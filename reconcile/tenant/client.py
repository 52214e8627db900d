"""Typed calls of the Omneo Profiles API v3, over the paced connection of ``wire.py``.

Only endpoints and parameters that ``docs/`` records for the real API are used, so what works
against the sandbox works against a tenant. A POST whose answer was lost may have been processed,
so it is never replayed blindly: it is raised to the caller, who checks before trying again (see
``apply/writes.py``).

>>> async with OmneoClient.open(target) as client:          # doctest: +SKIP
...     owned = await client.list_identities("reconcile")
...     print(client.calls, "API calls")
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Collection, Mapping
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from reconcile.collector import paused
from reconcile.errors import ApiError
from reconcile.model.fields import JsonValue
from reconcile.model.observed import DELETED_TYPE, ObservedProfile
from reconcile.settings import ENV_TENANT, Target
from reconcile.tenant.pacing import Pacer
from reconcile.tenant.ratelimit import RetryPolicy
from reconcile.tenant.responses import (
    BatchStatus,
    CustomAttributeItem,
    OwnedProfile,
    ProfilePage,
    StoredAddress,
    last_page,
    listed,
    owned_profile,
    profile_of,
    profile_page,
    reading,
    with_profile,
)
from reconcile.tenant.wire import Wire, WriteGate, open_http, quote_segment

if TYPE_CHECKING:  # the connection itself is wire.py's: httpx is only named here
    import httpx

PAGE_SIZE = 500
ProfileFields = Mapping[str, JsonValue]


class OmneoClient:
    """Typed calls over one ``httpx.AsyncClient`` (wrapped in a :class:`Wire` that paces them)."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        concurrency: int = 8,
        rps: float = 1000.0,
        retry: RetryPolicy | None = None,
        batch_by_default: bool = True,
    ) -> None:
        self._wire = Wire(http, concurrency=concurrency, rps=rps, retry=retry)
        # Whether a plain apply may batch creates and adoptions when that is cheaper: not on a
        # production tenant, where batching stays an explicit choice (apply --bulk and its guard).
        self.batch_by_default = batch_by_default

    @property
    def calls(self) -> int:
        """API calls made so far (retries included)."""
        return self._wire.calls

    @property
    def retries(self) -> int:
        return self._wire.retries

    @property
    def throttled(self) -> int:
        return self._wire.throttled

    @property
    def pacer(self) -> Pacer:
        return self._wire.pacer

    @property
    def rps(self) -> float:
        """The tenant's configured rate (requests per second); the pacer may go slower."""
        return self._wire.pacer.configured

    @property
    def retry_policy(self) -> RetryPolicy:
        return self._wire.retry

    @property
    def gate(self) -> WriteGate | None:
        """What every write passes first (the apply lock's check, while an apply holds it)."""
        return self._wire.gate

    @gate.setter
    def gate(self, gate: WriteGate | None) -> None:
        self._wire.gate = gate

    @property
    def writes_stopped(self) -> bool:
        """True once the gate refuses every write (the apply lock was lost)."""
        return self._wire.gate is not None and self._wire.gate.closed

    @classmethod
    @asynccontextmanager
    async def open(
        cls, target: Target, *, retry: RetryPolicy | None = None
    ) -> AsyncIterator[OmneoClient]:
        async with open_http(target) as http:
            client = cls(
                http,
                concurrency=target.concurrency,
                rps=target.rps,
                retry=retry,
                batch_by_default=target.kind != "production",
            )
            client._wire.tenant = describe_tenant(target)
            yield client

    # -- reading ---------------------------------------------------------------------------

    async def list_identities(
        self, handle: str, keep: Callable[[str], bool] | None = None
    ) -> list[OwnedProfile]:
        """Every identity of ``handle`` with its profile: page 1, then the rest concurrently.
        ``keep`` (a shard) selects identifiers as each page arrives: only those are typed and held.
        """
        return [owned for page in await self.identity_pages(handle, keep) for owned in page]

    async def identity_pages(
        self, handle: str, keep: Callable[[str], bool] | None = None
    ) -> list[list[OwnedProfile]]:
        """:meth:`list_identities` page by page (the first list is page 1)."""

        async def page(number: int) -> tuple[int, list[OwnedProfile]]:
            body = await self._request("GET", "identities", params=_by_handle(handle, number))
            # Typed as each page arrives: 200 pages of raw JSON held to the end cost a GB.
            with paused(), reading("GET", "identities"):
                owned = [
                    owned_profile(item)
                    for item in listed(body)
                    if with_profile(item) and (keep is None or keep(str(item.get("identifier"))))
                ]
                return last_page(body), owned

        pages, first = await page(1)
        rest = await asyncio.gather(*(page(n) for n in range(2, pages + 1)))
        return [first, *(owned for _, owned in rest)]

    async def owned_page(
        self, handle: str, number: int, wanted: Collection[str]
    ) -> tuple[int, dict[str, ObservedProfile]]:
        """Page ``number`` of the profiles holding an identity of ``handle`` (``GET
        /identities``): the last page's number, and the profiles on it whose ids are ``wanted``,
        by id in the listing's order; only those are typed."""
        body = await self._request("GET", "identities", params=_by_handle(handle, number))
        with paused(), reading("GET", "identities"):
            found = {
                str(profile["id"]): ObservedProfile.from_api(profile)
                for item in body["data"]
                if isinstance(profile := item.get("profile"), dict)
                and str(profile.get("id")) in wanted  # ids may come as numbers
            }
        return int(body.get("meta", {}).get("last_page", 1)), found

    async def get_profile(self, profile_id: str) -> ObservedProfile | None:
        path = f"profiles/{profile_id}"
        body = await self._request("GET", path, missing_ok=True)
        return None if body is None else profile_of(body, "GET", path)

    async def find_by_identity(self, handle: str, identifier: str) -> ObservedProfile | None:
        path = f"profiles/{quote_segment(identifier)}"
        params = {"identity[handle]": handle}
        body = await self._request("GET", path, params=params, missing_ok=True)
        return None if body is None else profile_of(body, "GET", path)

    async def find_by_field(self, field: str, value: str) -> list[ObservedProfile]:
        """Exact match on ``filter[email]`` or ``filter[mobile_phone]`` (never fuzzy search)."""
        body = await self._request("GET", "profiles", params={f"filter[{field}]": value})
        with reading("GET", "profiles"):
            return [ObservedProfile.from_api(item) for item in listed(body)]

    # -- writing ---------------------------------------------------------------------------

    async def create_profile(self, fields: ProfileFields) -> ObservedProfile:
        body = await self._request("POST", "profiles", json=dict(fields))
        return profile_of(body, "POST", "profiles")

    async def update_profile(self, profile_id: str, fields: ProfileFields) -> ObservedProfile:
        path = f"profiles/{profile_id}"
        body = await self._request("PUT", path, json=dict(fields))
        return profile_of(body, "PUT", path)

    async def update_profile_fields(self, profile_id: str, fields: ProfileFields) -> None:
        """``PUT /profiles/{id}`` for a caller that needs nothing from the answer: it is not
        typed (the cost of a write is mostly reading its answer)."""
        await self._request("PUT", f"profiles/{profile_id}", json=dict(fields))

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
        path = f"profiles/{profile_id}/identities/{quote_segment(handle)}"
        await self._request("PUT", path, json={"identifier": identifier})

    async def delete_identity(self, profile_id: str, handle: str) -> None:
        await self._request("DELETE", f"profiles/{profile_id}/identities/{quote_segment(handle)}")

    async def list_addresses(self, profile_id: str) -> list[StoredAddress]:
        """``GET /profiles/{id}/addresses``: the profile's addresses, each with its ``id``."""
        path = f"profiles/{profile_id}/addresses"
        body = await self._request("GET", path)
        with reading("GET", path):
            return [StoredAddress.of(item) for item in listed(body)]

    async def add_address(self, profile_id: str, address: ProfileFields) -> None:
        await self._request("POST", f"profiles/{profile_id}/addresses", json=dict(address))

    async def update_address(
        self, profile_id: str, address_id: str, address: ProfileFields
    ) -> None:
        path = f"profiles/{profile_id}/addresses/{quote_segment(address_id)}"
        await self._request("PUT", path, json=dict(address))

    async def delete_address(self, profile_id: str, address_id: str) -> None:
        await self._request(
            "DELETE", f"profiles/{profile_id}/addresses/{quote_segment(address_id)}"
        )

    async def update_comms(self, profile_id: str, flags: ProfileFields) -> None:
        await self._request("PUT", f"profiles/{profile_id}/attributes/comms", json=dict(flags))

    async def put_custom_attribute(
        self, profile_id: str, namespace: str, handle: str, kind: str, value: JsonValue
    ) -> None:
        path = _custom_path(profile_id, namespace, handle)
        await self._request("PUT", path, json={"type": kind, "value": value})

    async def delete_custom_attribute(self, profile_id: str, namespace: str, handle: str) -> None:
        path = _custom_path(profile_id, namespace, handle)
        await self._request("DELETE", path)

    async def delete_date(self, profile_id: str, date_id: str) -> None:
        """``DELETE /profiles/{id}/attributes/dates/{dateId}`` (dates are added and updated
        inline, with ``dates_attributes`` in ``PUT /profiles/{id}``); the id is opaque text."""
        path = f"profiles/{profile_id}/attributes/dates/{quote_segment(date_id)}"
        await self._request("DELETE", path)

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
        body = await self._request("GET", f"batches/{quote_segment(batch_id)}")
        data = body.get("data") if isinstance(body, dict) else None
        try:
            return BatchStatus.model_validate(data if isinstance(data, dict) else {})
        except ValidationError:
            message = "the batch status is not in the documented shape"
            raise ApiError(message, method="GET", path=f"batches/{batch_id}") from None

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
        return await self._wire.request(
            method, path, params=params, json=json, missing_ok=missing_ok, replay_safe=replay_safe
        )

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
        with paused(), reading("GET", "profiles"):
            items = listed(body)
            page = profile_page([ObservedProfile.from_api(item) for item in items], body, number)
        shown = all(isinstance(item, dict) and isinstance(item.get("identities"), list)
                    for item in items)  # fmt: skip
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
        params = _by_handle(handle, number, size)
        body = await self._request("GET", "identities", params=params)
        with paused(), reading("GET", "identities"):
            profiles = [owned_profile(i).profile for i in listed(body) if with_profile(i)]
            return profile_page(profiles, body, number)

    async def list_custom_attributes(self, profile_id: str) -> list[CustomAttributeItem]:
        """The typed custom attributes of one profile (a profile shows only their values)."""
        path = f"profiles/{profile_id}/attributes/custom"
        body = await self._request("GET", path)
        with reading("GET", path):
            return [CustomAttributeItem.of(item) for item in listed(body)]


def describe_tenant(target: Target) -> str:
    """How messages name a tenant: ``tenant 'staging' at https://...``."""
    if target.name == ENV_TENANT:
        return f"the tenant at {target.url} (OMNEO_URL)"
    return f"tenant {target.name!r} at {target.url}"


def _by_handle(handle: str, number: int, size: int | None = None) -> dict[str, str]:
    """The query of page ``number`` of ``GET /identities`` for ``handle``, profiles included
    (``PAGE_SIZE`` a page unless ``size``)."""
    return {
        "filter[handle]": handle,
        "include": "profile",
        "page[size]": str(size or PAGE_SIZE),
        "page[number]": str(number),
    }


def _custom_path(profile_id: str, namespace: str, handle: str) -> str:
    attribute = f"{quote_segment(namespace)}:{quote_segment(handle)}"
    return f"profiles/{profile_id}/attributes/custom/{attribute}"
