"""Profile endpoints: create, read (by id or by identity), list, update, soft delete, purge."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request, Response

from reconcile.sandbox.http.context import json_body, require_read, require_write, tenant
from reconcile.sandbox.http.pagination import page_from, paged
from reconcile.sandbox.problems import NotFound
from reconcile.sandbox.rules.validation import validate_profile, without_inline_parts
from reconcile.sandbox.schemas.answers import (
    ProfileEnvelope,
    ProfileInput,
    ProfilePage,
    ProfileUpdate,
    body_doc,
)
from reconcile.sandbox.storage import identities, listing, profiles
from reconcile.sandbox.storage.render import encoded_profiles
from reconcile.sandbox.storage.search import search_rows

router = APIRouter(tags=["profiles"])
READ = [Depends(require_read)]
WRITE = [Depends(require_write)]


async def profile_body(request: Request) -> dict[str, Any]:
    """A profile write's body as this tenant reads it: with its parts inline, or without them
    (``SandboxConfig.inline_parts``)."""
    body = await json_body(request)
    return body if tenant(request).config.inline_parts else without_inline_parts(body)


@router.post(
    "/profiles",
    status_code=201,
    dependencies=WRITE,
    response_model=ProfileEnvelope,
    openapi_extra=body_doc(ProfileInput),
    summary="Create a profile",
)
async def create_profile(request: Request) -> dict[str, Any]:
    clean, errors = validate_profile(await profile_body(request), creating=True)
    store = tenant(request).store
    with store.write() as conn:
        profile_id = profiles.create_profile(conn, clean, errors)
        return {"data": profiles.get_profile(conn, profile_id, deleted=True)}


@router.get(
    "/profiles",
    dependencies=READ,
    response_model=ProfilePage,
    summary="List profiles (filter, sort, paginate, search)",
)
async def list_profiles(request: Request) -> Response:
    sandbox = tenant(request)
    page = page_from(request, sandbox.config.page_size_default, sandbox.config.page_size_max)
    query = listing.parse(request)
    search = request.query_params.get("search")
    with sandbox.store.read() as conn:
        if search is not None and search.strip():
            rows, total = search_rows(sandbox, conn, search, query, page)
        else:
            rows, total = listing.fetch(sandbox, conn, query, page)
        return paged(request, encoded_profiles(conn, rows), total, page)


@router.get(
    "/profiles/{profile_id}",
    dependencies=READ,
    response_model=ProfileEnvelope,
    summary="Read a profile by id, or by identity with ?identity[handle]=",
)
async def read_profile(profile_id: str, request: Request) -> dict[str, Any]:
    handle = request.query_params.get("identity[handle]")
    with tenant(request).store.read() as conn:
        if handle:
            held_by = identities.holder(conn, handle, profile_id)
            if held_by is None:
                raise NotFound("Profile")
            profile_id = held_by
        return {"data": profiles.get_profile(conn, profile_id)}


@router.put(
    "/profiles/{profile_id}",
    dependencies=WRITE,
    response_model=ProfileEnvelope,
    openapi_extra=body_doc(ProfileUpdate),
    summary="Update a profile (partial)",
)
async def update_profile(profile_id: str, request: Request) -> dict[str, Any]:
    profiles.ensure_exists(tenant(request).store, profile_id)
    clean, errors = validate_profile(await profile_body(request), creating=False)
    with tenant(request).store.write() as conn:
        profiles.update_profile(conn, profile_id, clean, errors)
        return {"data": profiles.get_profile(conn, profile_id, deleted=True)}


@router.delete(
    "/profiles/{profile_id}", status_code=204, dependencies=WRITE, summary="Soft-delete a profile"
)
async def delete_profile(profile_id: str, request: Request) -> Response:
    with tenant(request).store.write() as conn:
        profiles.soft_delete(conn, profile_id)
    return Response(status_code=204)


async def _purge(profile_id: str, request: Request) -> Response:
    with tenant(request).store.write() as conn:
        profiles.purge(conn, profile_id)
    return Response(status_code=204)


router.add_api_route(
    "/profiles/{profile_id}/purge",
    _purge,
    methods=["POST"],
    status_code=204,
    dependencies=WRITE,
    summary="Purge a profile (irreversible)",
    name="purge_profile_post",
)
router.add_api_route(
    "/profiles/{profile_id}/purge",
    _purge,
    methods=["DELETE"],
    status_code=204,
    dependencies=WRITE,
    summary="Purge a profile (irreversible)",
    name="purge_profile_delete",
)
