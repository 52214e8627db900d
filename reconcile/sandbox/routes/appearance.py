"""A profile's appearance: read it, and merge sizes, measurements and colours into it.

``GET``/``PUT /profiles/{id}/attributes/appearance`` answer ``{"data": appearance}``, every key
of the SDK's ``ProfileAppearance`` type present (``null`` when never set). A ``PUT`` merges the
given keys: each must be a known one, holding text of at most 255 characters or ``null``.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request

from reconcile.sandbox.http.context import json_body, require_read, require_write, tenant
from reconcile.sandbox.problems import Invalid
from reconcile.sandbox.rules.limits import MAX_STRING, length_message
from reconcile.sandbox.rules.values import now
from reconcile.sandbox.rules.vocabulary import APPEARANCE_FIELDS
from reconcile.sandbox.schemas.answers import AppearanceEnvelope, AppearanceInput, body_doc
from reconcile.sandbox.storage import appearance, profiles

router = APIRouter(tags=["attributes"])
READ = [Depends(require_read)]
WRITE = [Depends(require_write)]
_KNOWN = frozenset(APPEARANCE_FIELDS)


@router.get(
    "/profiles/{profile_id}/attributes/appearance",
    dependencies=READ,
    response_model=AppearanceEnvelope,
)
async def read_appearance(profile_id: str, request: Request) -> dict[str, Any]:
    with tenant(request).store.read() as conn:
        return {"data": appearance.read(conn, profile_id)}


@router.put(
    "/profiles/{profile_id}/attributes/appearance",
    dependencies=WRITE,
    response_model=AppearanceEnvelope,
    openapi_extra=body_doc(AppearanceInput),
)
async def update_appearance(profile_id: str, request: Request) -> dict[str, Any]:
    """Merge the given keys into the profile's appearance."""
    profiles.ensure_exists(tenant(request).store, profile_id)
    values = _checked(await json_body(request))
    with tenant(request).store.write() as conn:
        appearance.merge(conn, profile_id, values, now())
        return {"data": appearance.read(conn, profile_id)}


def _checked(body: dict[str, Any]) -> dict[str, Any]:
    """Every key known, every value text (at most 255 characters) or null; all errors at once."""
    errors: dict[str, list[str]] = {}
    for key, value in body.items():
        words = key.replace("_", " ")
        if key not in _KNOWN:
            errors[key] = [f"The {words} is not a known appearance attribute."]
        elif value is not None and not isinstance(value, str):
            errors[key] = [f"The {words} must be a string."]
        elif isinstance(value, str) and len(value) > MAX_STRING:
            errors[key] = [length_message(words, MAX_STRING)]
    if errors:
        raise Invalid(errors)
    return body
