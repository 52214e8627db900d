"""Custom attributes (per profile and the cross-profile search) and update-type."""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, Depends, Request, Response

from reconcile.sandbox.http.context import json_body, require_read, require_write, tenant
from reconcile.sandbox.http.pagination import page_from, paged
from reconcile.sandbox.problems import Invalid, NotFound
from reconcile.sandbox.rules.errorbag import Errors
from reconcile.sandbox.rules.limits import (
    MAX_CUSTOM_ATTRIBUTES,
    MAX_CUSTOM_VALUE,
    MAX_FILTER_VALUES,
    MAX_SEARCH_CONDITIONS,
    MAX_STRING,
    count_message,
    length_message,
    too_long,
    too_many,
)
from reconcile.sandbox.rules.messages import RULES
from reconcile.sandbox.rules.nested import check_custom_value, custom_value_too_long
from reconcile.sandbox.rules.validation import validate_profile
from reconcile.sandbox.rules.values import now
from reconcile.sandbox.schemas.answers import (
    CustomAttributeEnvelope,
    CustomAttributeList,
    CustomValueInput,
    ProfileEnvelope,
    ProfilePage,
    UpdateTypeInput,
    body_doc,
)
from reconcile.sandbox.storage import attributes, profiles
from reconcile.sandbox.storage.render import custom_attribute_json

router = APIRouter(tags=["attributes"])
READ = [Depends(require_read)]
WRITE = [Depends(require_write)]
_ATTR = re.compile(
    r"^attributes\[(\d+)\]\[(namespace|handle)\]$|^attributes\[(\d+)\]\[value\](\[in\])?$"
)


def _split(key: str) -> tuple[str, str]:
    namespace, sep, handle = key.partition(":")
    if not sep or not namespace or not handle:
        raise NotFound("Custom attribute")
    return namespace, handle


@router.get("/profiles/attributes/custom", dependencies=READ, response_model=ProfilePage)
async def search_custom(request: Request) -> Response:
    """Profiles matching every ``attributes[i]`` condition (namespace, handle, value[in])."""
    sandbox = tenant(request)
    page = page_from(request, sandbox.config.page_size_default, sandbox.config.page_size_max)
    conditions: dict[int, dict[str, Any]] = {}
    for key, raw in request.query_params.multi_items():
        found = _ATTR.match(key)
        if found and found.group(2):
            conditions.setdefault(int(found.group(1)), {})[found.group(2)] = raw
        elif found:
            values = raw.split(",") if found.group(4) else [raw]
            conditions.setdefault(int(found.group(3)), {}).setdefault("values", []).extend(values)
    errors = Errors()
    if too_many(list(conditions), "attributes", MAX_SEARCH_CONDITIONS, errors):
        raise Invalid(errors.by_field)
    for index, cond in sorted(conditions.items()):
        too_many(cond.get("values", []), f"attributes.{index}.value", MAX_FILTER_VALUES, errors)
        for name in ("namespace", "handle"):
            if not cond.get(name):
                errors.add(
                    f"attributes.{index}.{name}",
                    f"The attributes.{index}.{name} field is required.",
                )
    if not conditions:
        errors.add("attributes", "The attributes field is required.")
    if errors:
        raise Invalid(errors.by_field)
    wanted = [
        attributes.Condition(cond["namespace"], cond["handle"], cond.get("values", []))
        for _, cond in sorted(conditions.items())
    ]
    with sandbox.store.read() as conn:
        total, items = attributes.matching_profiles(conn, wanted, page.size, page.offset)
        return paged(request, items, total, page)


@router.get(
    "/profiles/{profile_id}/attributes/custom",
    dependencies=READ,
    response_model=CustomAttributeList,
)
async def list_custom(profile_id: str, request: Request) -> dict[str, Any]:
    with tenant(request).store.read() as conn:
        return {"data": attributes.of_profile(conn, profile_id)}


@router.get(
    "/profiles/{profile_id}/attributes/custom/{key}",
    dependencies=READ,
    response_model=CustomAttributeEnvelope,
    summary="Read namespace:handle",
)
async def read_custom(profile_id: str, key: str, request: Request) -> dict[str, Any]:
    with tenant(request).store.read() as conn:
        row = attributes.custom_row(conn, profile_id, *_split(key))
        return {"data": custom_attribute_json(row)}


@router.put(
    "/profiles/{profile_id}/attributes/custom/{key}",
    dependencies=WRITE,
    response_model=CustomAttributeEnvelope,
    openapi_extra=body_doc(CustomValueInput),
    summary="Set namespace:handle to a typed value",
)
async def put_custom(profile_id: str, key: str, request: Request) -> dict[str, Any]:
    namespace, handle = _split(key)
    profiles.ensure_exists(tenant(request).store, profile_id)
    body = await json_body(request)
    _check_custom(namespace, handle, body)
    with tenant(request).store.write() as conn:
        profiles.fetch_row(conn, profile_id)
        if profiles.custom_count(conn, profile_id, (namespace, handle)) > MAX_CUSTOM_ATTRIBUTES:
            limit = count_message("custom_attributes", MAX_CUSTOM_ATTRIBUTES)
            raise Invalid({"custom_attributes": [limit]})
        profiles.upsert_custom(conn, profile_id, namespace, handle, body, now())
        profiles.touch(conn, profile_id)
        row = attributes.custom_row(conn, profile_id, namespace, handle)
        return {"data": custom_attribute_json(row)}


def _check_custom(namespace: str, handle: str, body: dict[str, Any]) -> None:
    """The key's parts and the typed value, checked before the store's lock is taken."""
    errors = Errors()
    too_long(namespace, "namespace", MAX_STRING, errors)
    too_long(handle, "handle", MAX_STRING, errors)
    known, matches = check_custom_value(body.get("type"), body.get("value"))
    if not known:
        errors.add("type", RULES_BY_FIELD["type"])
    elif not matches:
        errors.add("value", RULES_BY_FIELD["value"])
    elif custom_value_too_long(body["value"]):
        errors.add("value", length_message("value", MAX_CUSTOM_VALUE))
    if errors:
        raise Invalid(errors.by_field)


RULES_BY_FIELD = {
    row.field.rsplit(".", 1)[1]: row.message.replace("custom_attributes.*.", "")
    for row in RULES
    if row.field in ("custom_attributes.*.type", "custom_attributes.*.value")
}


@router.delete(
    "/profiles/{profile_id}/attributes/custom/{key}", status_code=204, dependencies=WRITE
)
async def delete_custom(profile_id: str, key: str, request: Request) -> Response:
    with tenant(request).store.write() as conn:
        row = attributes.custom_row(conn, profile_id, *_split(key))
        attributes.delete(conn, row["id"])
        profiles.touch(conn, profile_id)
    return Response(status_code=204)


@router.put(
    "/profiles/{profile_id}/update-type",
    dependencies=WRITE,
    response_model=ProfileEnvelope,
    openapi_extra=body_doc(UpdateTypeInput),
)
async def update_type(profile_id: str, request: Request) -> dict[str, Any]:
    """Change ``profile_type``; the one write that reaches soft-deleted profiles (restores)."""
    profiles.ensure_exists(tenant(request).store, profile_id, deleted=True)
    body = await json_body(request)
    clean, errors = validate_profile({"profile_type": body.get("profile_type")}, creating=False)
    if errors:
        raise Invalid(errors.by_field)
    with tenant(request).store.write() as conn:
        profiles.fetch_row(conn, profile_id, deleted=True)
        attributes.set_profile_type(conn, profile_id, clean["profile_type"], now())
        return {"data": profiles.get_profile(conn, profile_id, deleted=True)}
