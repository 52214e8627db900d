"""Address sub-resources of a profile: list, add, read, update (partial), delete.

Addresses live in the profile (``PUT /profiles/{id}`` with ``addresses`` replaces the list whole);
these routes edit one at a time. Ids are numbers unique within their profile.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request, Response

from reconcile.sandbox.http.context import json_body, require_read, require_write, tenant
from reconcile.sandbox.problems import Invalid, NotFound
from reconcile.sandbox.rules.errorbag import Errors
from reconcile.sandbox.rules.limits import MAX_ADDRESSES, count_message
from reconcile.sandbox.rules.nested import ADDRESS_REQUIRED, address_field_errors
from reconcile.sandbox.rules.values import now
from reconcile.sandbox.schemas.answers import AddressInput, body_doc
from reconcile.sandbox.schemas.bulk import AddressEnvelope, AddressList
from reconcile.sandbox.storage import addresses, profiles
from reconcile.sandbox.storage.shapes import address_json

router = APIRouter(tags=["addresses"])
READ = [Depends(require_read)]
WRITE = [Depends(require_write)]


def _find(items: list[dict[str, Any]], address_id: int) -> dict[str, Any]:
    for item in items:
        if item.get("id") == address_id:
            return item
    raise NotFound("Address")


def _shape(body: dict[str, Any]) -> dict[str, Any]:
    """The body's own fields checked (types, lengths), before the store's lock is taken."""
    errors = Errors()
    address_field_errors(body, errors)
    if errors:
        raise Invalid(errors.by_field)
    return {k: v for k, v in body.items() if k != "id"}


def _checked(body: dict[str, Any], base: dict[str, Any] | None = None) -> dict[str, Any]:
    """``body`` (already shaped) over ``base``, with every required field present."""
    merged = {**(base or {}), **body}
    errors = {
        name: [f"The {name.replace('_', ' ')} field is required."]
        for name in ADDRESS_REQUIRED
        if merged.get(name) in (None, "")
    }
    if errors:
        raise Invalid(errors)
    return merged


def _only_default(items: list[dict[str, Any]], chosen: dict[str, Any]) -> None:
    if chosen.get("is_default"):
        for item in items:
            if item is not chosen and item.get("is_default"):
                item["is_default"] = False


@router.get("/profiles/{profile_id}/addresses", dependencies=READ, response_model=AddressList)
async def list_addresses(profile_id: str, request: Request) -> dict[str, Any]:
    with tenant(request).store.read() as conn:
        return {"data": addresses.load(conn, profile_id)[1]}


@router.post("/profiles/{profile_id}/addresses", status_code=201, dependencies=WRITE,
             response_model=AddressEnvelope, openapi_extra=body_doc(AddressInput))  # fmt: skip
async def add_address(profile_id: str, request: Request) -> dict[str, Any]:
    profiles.ensure_exists(tenant(request).store, profile_id)
    address = _checked(_shape(await json_body(request)))
    with tenant(request).store.write() as conn:
        doc, items = addresses.load(conn, profile_id)
        if len(items) >= MAX_ADDRESSES:
            raise Invalid({"addresses": [count_message("addresses", MAX_ADDRESSES)]})
        address["id"] = max((int(item.get("id") or 0) for item in items), default=0) + 1
        items.append(address)
        _only_default(items, address)
        addresses.save(conn, profile_id, doc, items, now())
    return {"data": address_json(address)}


@router.get("/profiles/{profile_id}/addresses/{address_id}", dependencies=READ,
            response_model=AddressEnvelope)  # fmt: skip
async def read_address(profile_id: str, address_id: int, request: Request) -> dict[str, Any]:
    with tenant(request).store.read() as conn:
        return {"data": _find(addresses.load(conn, profile_id)[1], address_id)}


@router.put("/profiles/{profile_id}/addresses/{address_id}", dependencies=WRITE,
            response_model=AddressEnvelope, openapi_extra=body_doc(AddressInput))  # fmt: skip
async def update_address(profile_id: str, address_id: int, request: Request) -> dict[str, Any]:
    body = _shape(await json_body(request))
    with tenant(request).store.write() as conn:
        doc, items = addresses.load(conn, profile_id)
        current = _find(items, address_id)
        current.update(_checked(body, current))
        _only_default(items, current)
        addresses.save(conn, profile_id, doc, items, now())
    return {"data": address_json(current)}


@router.delete("/profiles/{profile_id}/addresses/{address_id}", status_code=204,
               dependencies=WRITE)  # fmt: skip
async def delete_address(profile_id: str, address_id: int, request: Request) -> Response:
    with tenant(request).store.write() as conn:
        doc, items = addresses.load(conn, profile_id)
        _find(items, address_id)
        kept = [item for item in items if item.get("id") != address_id]
        addresses.save(conn, profile_id, doc, kept, now())
    return Response(status_code=204)
