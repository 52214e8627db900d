"""Address sub-resources of a profile: list, add, read, update (partial), delete.

Addresses live in the profile (``PUT /profiles/{id}`` with ``addresses`` replaces the list whole);
these routes edit one at a time. Ids are numbers unique within their profile.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from fastapi import APIRouter, Depends, Request, Response

from reconcile.sandbox.http.context import json_body, require_read, require_write, tenant
from reconcile.sandbox.jsonio import dumps, stored_object
from reconcile.sandbox.problems import Invalid, NotFound
from reconcile.sandbox.rules.errorbag import Errors
from reconcile.sandbox.rules.limits import MAX_ADDRESSES, count_message
from reconcile.sandbox.rules.nested import ADDRESS_REQUIRED, address_field_errors
from reconcile.sandbox.rules.values import now
from reconcile.sandbox.schemas.answers import AddressInput, body_doc
from reconcile.sandbox.schemas.bulk import AddressEnvelope, AddressList
from reconcile.sandbox.storage import profiles

router = APIRouter(tags=["addresses"])
READ = [Depends(require_read)]
WRITE = [Depends(require_write)]


def _load(conn: sqlite3.Connection, profile_id: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    doc = stored_object(profiles.fetch_row(conn, profile_id)["doc"])
    addresses = doc.get("addresses")
    items = addresses if isinstance(addresses, list) else []
    return doc, [_readable(item) for item in items if isinstance(item, dict)]


def _readable(item: dict[str, Any]) -> dict[str, Any]:
    """A stored address as its documented shape, whatever an older sandbox let in: a field that
    is not text (``address_line_1: 5``) reads as text, so no stored value fails the answer."""
    found: dict[str, Any] = {}
    for name, value in item.items():
        if name == "id":
            found[name] = value if isinstance(value, int) and not isinstance(value, bool) else None
        elif name == "is_default":
            found[name] = value if isinstance(value, bool) else None
        elif value is None or isinstance(value, str):
            found[name] = value
        else:
            found[name] = dumps(value) if isinstance(value, dict | list) else str(value)
    return found


def _save(conn: sqlite3.Connection, profile_id: str, doc: dict[str, Any], items: list[Any]) -> None:
    doc["addresses"] = items
    conn.execute(
        "UPDATE profiles SET doc = ?, updated_at = ? WHERE id = ?",
        (dumps(doc), now(), profile_id),
    )


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
        return {"data": _load(conn, profile_id)[1]}


@router.post("/profiles/{profile_id}/addresses", status_code=201, dependencies=WRITE,
             response_model=AddressEnvelope, openapi_extra=body_doc(AddressInput))  # fmt: skip
async def add_address(profile_id: str, request: Request) -> dict[str, Any]:
    profiles.ensure_exists(tenant(request).store, profile_id)
    address = _checked(_shape(await json_body(request)))
    with tenant(request).store.write() as conn:
        doc, items = _load(conn, profile_id)
        if len(items) >= MAX_ADDRESSES:
            raise Invalid({"addresses": [count_message("addresses", MAX_ADDRESSES)]})
        address["id"] = max((int(item.get("id") or 0) for item in items), default=0) + 1
        items.append(address)
        _only_default(items, address)
        _save(conn, profile_id, doc, items)
    return {"data": address}


@router.get("/profiles/{profile_id}/addresses/{address_id}", dependencies=READ,
            response_model=AddressEnvelope)  # fmt: skip
async def read_address(profile_id: str, address_id: int, request: Request) -> dict[str, Any]:
    with tenant(request).store.read() as conn:
        return {"data": _find(_load(conn, profile_id)[1], address_id)}


@router.put("/profiles/{profile_id}/addresses/{address_id}", dependencies=WRITE,
            response_model=AddressEnvelope, openapi_extra=body_doc(AddressInput))  # fmt: skip
async def update_address(profile_id: str, address_id: int, request: Request) -> dict[str, Any]:
    body = _shape(await json_body(request))
    with tenant(request).store.write() as conn:
        doc, items = _load(conn, profile_id)
        current = _find(items, address_id)
        current.update(_checked(body, current))
        _only_default(items, current)
        _save(conn, profile_id, doc, items)
    return {"data": current}


@router.delete("/profiles/{profile_id}/addresses/{address_id}", status_code=204,
               dependencies=WRITE)  # fmt: skip
async def delete_address(profile_id: str, address_id: int, request: Request) -> Response:
    with tenant(request).store.write() as conn:
        doc, items = _load(conn, profile_id)
        _find(items, address_id)
        _save(conn, profile_id, doc, [item for item in items if item.get("id") != address_id])
    return Response(status_code=204)
