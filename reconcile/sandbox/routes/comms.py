"""Comms preferences: read and merge them, and the SDK's subscribe/unsubscribe shortcut.

``PUT /profiles/{id}/attributes/comms`` and ``PUT /profiles/{id}/comms`` take the same body (flags
to merge) under the same rules; the shortcut answers ``{"data": [comms]}``, a list, because the
official SDK's ``subscribe`` reads ``response.data[0]``.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request

from reconcile.sandbox.http.context import json_body, require_read, require_write, tenant
from reconcile.sandbox.problems import Invalid
from reconcile.sandbox.rules.errorbag import Errors
from reconcile.sandbox.rules.nested import validate_comms
from reconcile.sandbox.schemas.answers import CommsEnvelope, CommsInput, CommsList, body_doc
from reconcile.sandbox.storage import profiles
from reconcile.sandbox.storage.render import comms_json
from reconcile.sandbox.storage.store import Connection

router = APIRouter(tags=["attributes"])
READ = [Depends(require_read)]
WRITE = [Depends(require_write)]
BODY = body_doc(CommsInput)


def _comms(conn: Connection, profile_id: str) -> dict[str, Any]:
    row = profiles.fetch_row(conn, profile_id)
    return comms_json(row)


async def _merge(profile_id: str, request: Request) -> dict[str, Any]:
    """Merge the body's flags into the profile's preferences; the preferences after it."""
    profiles.ensure_exists(tenant(request).store, profile_id)
    errors = Errors()
    flags = validate_comms(await json_body(request), errors, prefix="comms")
    if errors:
        raise Invalid(_bare(errors))
    with tenant(request).store.write() as conn:
        profiles.update_profile(conn, profile_id, {"comms": flags}, Errors())
        return _comms(conn, profile_id)


def _bare(errors: Errors) -> dict[str, list[str]]:
    """Errors of a comms body keyed and worded by the bare flag, as Laravel names a top-level
    field: ``sms_promo: The sms promo field must be true or false.``"""
    found = {}
    for path, messages in errors.by_field.items():
        flag = path.removeprefix("comms.")
        words = flag.replace("_", " ")
        found[flag] = [text.replace(f"attributes.comms.{flag}", words) for text in messages]
    return found


@router.get(
    "/profiles/{profile_id}/attributes/comms", dependencies=READ, response_model=CommsEnvelope
)
async def read_comms(profile_id: str, request: Request) -> dict[str, Any]:
    with tenant(request).store.read() as conn:
        return {"data": _comms(conn, profile_id)}


@router.put(
    "/profiles/{profile_id}/attributes/comms",
    dependencies=WRITE,
    response_model=CommsEnvelope,
    openapi_extra=BODY,
)
async def update_comms(profile_id: str, request: Request) -> dict[str, Any]:
    """Merge the given flags into the profile's comms preferences."""
    return {"data": await _merge(profile_id, request)}


@router.put(
    "/profiles/{profile_id}/comms", dependencies=WRITE, response_model=CommsList, openapi_extra=BODY
)
async def update_comms_shortcut(profile_id: str, request: Request) -> dict[str, Any]:
    """As ``PUT …/attributes/comms`` (subscribe, unsubscribe); ``data`` is a one-item list."""
    return {"data": [await _merge(profile_id, request)]}
