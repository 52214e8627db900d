"""Identity endpoints: per profile (by handle and by id), the global listing, and the lookups."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request, Response

from reconcile.sandbox.http.context import Tenant, json_body, require_read, require_write, tenant
from reconcile.sandbox.http.pagination import page_from, paged
from reconcile.sandbox.problems import BadQuery, Invalid, NotFound
from reconcile.sandbox.rules.errorbag import Errors
from reconcile.sandbox.rules.limits import MAX_IDENTITIES, count_message
from reconcile.sandbox.rules.nested import validate_identity
from reconcile.sandbox.rules.values import now
from reconcile.sandbox.schemas.answers import (
    IdentityEnvelope,
    IdentityInput,
    IdentityList,
    IdentityPage,
    IdentityUpdate,
    ProfileList,
    body_doc,
)
from reconcile.sandbox.storage import identities, profiles
from reconcile.sandbox.storage.render import identity_json
from reconcile.sandbox.storage.store import Connection

router = APIRouter(tags=["identities"])
READ = [Depends(require_read)]
WRITE = [Depends(require_write)]


@router.get("/profiles/{profile_id}/identities", dependencies=READ, response_model=IdentityList)
async def list_profile_identities(profile_id: str, request: Request) -> dict[str, Any]:
    with tenant(request).store.read() as conn:
        return {"data": identities.of_profile(conn, profile_id)}


@router.post(
    "/profiles/{profile_id}/identities",
    status_code=201,
    dependencies=WRITE,
    response_model=IdentityEnvelope,
    openapi_extra=body_doc(IdentityInput),
)
async def add_identity(profile_id: str, request: Request) -> dict[str, Any]:
    profiles.ensure_exists(tenant(request).store, profile_id)
    errors = Errors()
    identity = validate_identity(await json_body(request), errors)
    if identity is None or errors:
        raise Invalid(errors.by_field)
    with tenant(request).store.write() as conn:
        profiles.fetch_row(conn, profile_id)
        identities.check_free(conn, profile_id, identity["handle"], identity["identifier"])
        if identities.count(conn, profile_id) >= MAX_IDENTITIES:
            raise Invalid({"identities": [count_message("identities", MAX_IDENTITIES)]})
        if identities.has_handle(conn, profile_id, identity["handle"]):
            raise Invalid({"handle": ["The profile already has an identity with this handle."]})
        ident = profiles.upsert_identity(conn, profile_id, identity, now())
        profiles.touch(conn, profile_id)
        return {"data": identity_json(identities.find(conn, profile_id, None, ident))}


async def _read(
    profile_id: str, request: Request, handle: str | None, ident: int | None
) -> dict[str, Any]:
    with tenant(request).store.read() as conn:
        return {"data": identity_json(identities.find(conn, profile_id, handle, ident))}


async def _update(
    profile_id: str, request: Request, handle: str | None, ident: int | None
) -> dict[str, Any]:
    body = await json_body(request)
    shape = Errors()  # the body's own fields, checked before the store's lock is taken
    validate_identity({"handle": "h", "identifier": "i", **body}, shape)
    if shape:
        raise Invalid(shape.by_field)
    with tenant(request).store.write() as conn:
        row = identities.find(conn, profile_id, handle, ident)
        errors = Errors()
        merged = {"handle": row["handle"], "identifier": row["identifier"], **body}
        identity = validate_identity(merged, errors)
        if identity is None or errors:
            raise Invalid(errors.by_field)
        if identity["handle"] != row["handle"]:
            raise Invalid({"handle": ["The handle of an identity cannot be changed."]})
        identities.check_free(conn, profile_id, identity["handle"], identity["identifier"])
        profiles.upsert_identity(conn, profile_id, identity, now())
        profiles.touch(conn, profile_id)
        return {"data": identity_json(identities.find(conn, profile_id, None, row["id"]))}


async def _delete(
    profile_id: str, request: Request, handle: str | None, ident: int | None
) -> Response:
    with tenant(request).store.write() as conn:
        row = identities.find(conn, profile_id, handle, ident)
        identities.delete(conn, row["id"])
        profiles.touch(conn, profile_id)
    return Response(status_code=204)


@router.get(
    "/profiles/{profile_id}/identities/id/{identity_id}",
    dependencies=READ,
    response_model=IdentityEnvelope,
)
async def read_identity_by_id(
    profile_id: str, identity_id: int, request: Request
) -> dict[str, Any]:
    return await _read(profile_id, request, None, identity_id)


@router.put(
    "/profiles/{profile_id}/identities/id/{identity_id}",
    dependencies=WRITE,
    response_model=IdentityEnvelope,
    openapi_extra=body_doc(IdentityUpdate),
)
async def update_identity_by_id(
    profile_id: str, identity_id: int, request: Request
) -> dict[str, Any]:
    return await _update(profile_id, request, None, identity_id)


@router.delete(
    "/profiles/{profile_id}/identities/id/{identity_id}", status_code=204, dependencies=WRITE
)
async def delete_identity_by_id(profile_id: str, identity_id: int, request: Request) -> Response:
    return await _delete(profile_id, request, None, identity_id)


@router.get(
    "/profiles/{profile_id}/identities/{handle}", dependencies=READ, response_model=IdentityEnvelope
)
async def read_identity(profile_id: str, handle: str, request: Request) -> dict[str, Any]:
    return await _read(profile_id, request, handle, None)


@router.put(
    "/profiles/{profile_id}/identities/{handle}",
    dependencies=WRITE,
    response_model=IdentityEnvelope,
    openapi_extra=body_doc(IdentityUpdate),
)
async def update_identity(profile_id: str, handle: str, request: Request) -> dict[str, Any]:
    return await _update(profile_id, request, handle, None)


@router.delete("/profiles/{profile_id}/identities/{handle}", status_code=204, dependencies=WRITE)
async def delete_identity(profile_id: str, handle: str, request: Request) -> Response:
    return await _delete(profile_id, request, handle, None)


@router.get(
    "/identities", dependencies=READ, response_model=IdentityPage, response_model_exclude_unset=True
)
async def list_identities(request: Request) -> Response:
    """Identities of visible profiles by identity id; ``include=profile`` embeds the profile."""
    sandbox = tenant(request)
    page = page_from(request, sandbox.config.page_size_default, sandbox.config.page_size_max)
    include = [part for part in request.query_params.get("include", "").split(",") if part]
    if set(include) - {"profile"}:
        raise BadQuery("include", sorted(set(include) - {"profile"}), ["profile"])
    handle = request.query_params.get("filter[handle]")
    with sandbox.store.read() as conn:
        listed = _listed_ids(sandbox, conn, handle)
        total = len(listed)
        chunk = listed[page.offset : page.offset + page.size]
        if "profile" in include:
            items = identities.with_profiles(conn, chunk)
        else:
            items = identities.by_ids(conn, chunk)
        return paged(request, items, int(total), page)


def _listed_ids(sandbox: Tenant, conn: Connection, handle: str | None) -> list[int]:
    """The ids the listing shows, in order, kept until the store changes: with OFFSET paging
    every page counted, joined and sorted all the identities again (minutes for 200 pages)."""
    version = sandbox.store.data_version()
    key = f"identity_ids:{handle or ''}"
    cached = sandbox.caches.get(key)
    if cached is None or cached[0] != version:
        cached = (version, identities.listed_ids(conn, handle))
        sandbox.caches[key] = cached
    ids: list[int] = cached[1]
    return ids


@router.get("/identities/search", dependencies=READ, response_model=IdentityEnvelope)
async def search_identity(
    request: Request, handle: str = "", identifier: str = ""
) -> dict[str, Any]:
    """The identity (with its ``profile_id``) holding ``handle`` + ``identifier``."""
    errors = Errors()
    validate_identity({"handle": handle, "identifier": identifier}, errors)
    if errors:
        raise Invalid(errors.by_field)
    with tenant(request).store.read() as conn:
        found = identities.held(conn, handle, identifier)
        if found is None:
            raise NotFound("Identity")
        return {"data": found}


@router.get(
    "/identities/search-profile/{identifier}", dependencies=READ, response_model=ProfileList
)
async def search_profile(identifier: str, request: Request) -> dict[str, Any]:
    """Every visible profile holding ``identifier`` under any handle (a list, possibly empty)."""
    with tenant(request).store.read() as conn:
        return {"data": identities.profiles_holding(conn, identifier)}
