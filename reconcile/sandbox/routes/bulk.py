"""Bulk endpoints (sync, batch, CSV import jobs, batch tracking) and the lookups (search-id,
availability)."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from reconcile.sandbox.http.context import json_body, require_read, require_write, tenant
from reconcile.sandbox.problems import Invalid, NotFound
from reconcile.sandbox.routes.profiles import profile_body
from reconcile.sandbox.rules import csv_import
from reconcile.sandbox.rules.errorbag import Errors
from reconcile.sandbox.rules.validation import validate_profile
from reconcile.sandbox.schemas.answers import (
    MessageEnvelope,
    ProfileEnvelope,
    ProfileInput,
    body_doc,
)
from reconcile.sandbox.schemas.bulk import (
    AvailabilityEnvelope,
    AvailabilityInput,
    BatchEnvelope,
    BatchInput,
    ImportJobEnvelope,
    SearchIdInput,
    csv_body_doc,
)
from reconcile.sandbox.storage import batch, identities, profiles, upsert

router = APIRouter(tags=["bulk"])
READ = [Depends(require_read)]
WRITE = [Depends(require_write)]
SYNC_QUEUED = "Profiles queued for sync."
BATCH_QUEUED = "Profiles queued for batch import."
IMPORT_QUEUED = "Import job queued."


@router.post("/profiles/search-id", dependencies=READ, response_model=ProfileEnvelope,
             openapi_extra=body_doc(SearchIdInput))  # fmt: skip
async def search_id(request: Request) -> dict[str, Any]:
    """One profile by ``{type: "profile_id" | <identity handle>, id}``."""
    body = await json_body(request)
    errors = Errors()
    for name in ("type", "id"):
        if not isinstance(body.get(name), str | int) or body.get(name) in ("", True, False):
            errors.add(name, f"The {name} field is required.")
    if errors:
        raise Invalid(errors.by_field)
    kind, ident = str(body["type"]), str(body["id"])
    with tenant(request).store.read() as conn:
        if kind != "profile_id":
            held_by = identities.holder(conn, kind, ident)
            if held_by is None:
                raise NotFound("Profile")
            ident = held_by
        return {"data": profiles.get_profile(conn, ident)}


@router.post("/profiles/availability", dependencies=READ, response_model=AvailabilityEnvelope,
             openapi_extra=body_doc(AvailabilityInput))  # fmt: skip
async def availability(request: Request) -> dict[str, Any]:
    """Whether an email and/or a mobile is free (``available: true``) or held, and by whom."""
    body = await json_body(request)
    asked = {k: body[k] for k in ("email", "mobile_phone") if body.get(k) not in (None, "")}
    if not asked:
        raise Invalid({
            "email": ["The email field is required when mobile phone is not present."],
            "mobile_phone": ["The mobile phone field is required when email is not present."],
        })  # fmt: skip
    clean, errors = validate_profile(asked, creating=False)
    if errors:
        raise Invalid(errors.by_field)
    answer: dict[str, Any] = {}
    with tenant(request).store.read() as conn:
        for name, value in clean.items():
            answer[name] = profiles.availability(conn, name, value)
    return {"data": answer}


@router.post("/profiles/sync", dependencies=WRITE, response_model=ProfileEnvelope,
             responses={201: {"model": ProfileEnvelope}, 202: {"model": MessageEnvelope}},
             openapi_extra=body_doc(ProfileInput),
             summary="Upsert a profile matching email, then mobile")  # fmt: skip
async def sync(request: Request) -> Any:
    """Upsert by email, then mobile (201 created, 200 updated). A body holding no more than
    ``updated_at`` is the bulk re-sync request, answered ``Profiles queued for sync.``"""
    body = await profile_body(request)
    if set(body) <= {"updated_at"}:
        return JSONResponse({"data": {"message": SYNC_QUEUED}}, status_code=202)
    prepared = upsert.prepare(body)  # validated before the store's lock is taken
    with tenant(request).store.write() as conn:
        profile_id, created = upsert.upsert(conn, prepared, upsert.sync_match(conn, prepared))
        profile = profiles.get_profile(conn, profile_id, deleted=True)
    return JSONResponse({"data": profile}, status_code=201 if created else 200)


@router.post("/profiles/batch", status_code=202, dependencies=WRITE,
             response_model=MessageEnvelope, openapi_extra=body_doc(BatchInput))  # fmt: skip
async def batch_import(request: Request) -> dict[str, Any]:
    """Queue up to 500 profiles for create-or-update by ``match_criteria``; see /batches."""
    sandbox = tenant(request)
    body = await json_body(request)
    errors = Errors()
    criteria = body.get("match_criteria")
    if not isinstance(criteria, str) or not criteria.strip():
        errors.add("match_criteria", "The match criteria field is required.")
    profiles = body.get("profiles")
    limit = sandbox.config.batch_size_max
    if not isinstance(profiles, list) or not profiles:
        errors.add("profiles", "The profiles field is required and must be a non-empty array.")
    elif len(profiles) > limit:
        errors.add("profiles", f"The profiles may not have more than {limit} items.")
    else:
        for index, item in enumerate(profiles):
            if not isinstance(item, dict):
                errors.add(f"profiles.{index}", f"The profiles.{index} must be an object.")
    if errors or not isinstance(profiles, list):
        raise Invalid(errors.by_field)
    with sandbox.store.write() as conn:
        batch_id = batch.enqueue(conn, str(criteria), [batch.Item(item) for item in profiles])
    batch.kick(sandbox)
    return {"data": {"message": BATCH_QUEUED, "batch_id": batch_id}}


@router.get("/batches/{batch_id}", dependencies=READ, response_model=BatchEnvelope)
async def read_batch(batch_id: str, request: Request) -> dict[str, Any]:
    sandbox = tenant(request)
    batch.kick(sandbox)
    with sandbox.store.read() as conn:
        return {"data": batch.batch_json(conn, batch_id)}


@router.post("/import-jobs", status_code=202, dependencies=WRITE, response_model=ImportJobEnvelope,
             openapi_extra=csv_body_doc())  # fmt: skip
async def import_job(request: Request, match_criteria: str = "email") -> dict[str, Any]:
    """Import a CSV file (``docs/import-format.md``) as the request body (``text/csv``)."""
    sandbox = tenant(request)
    rows = csv_import.parse(await request.body(), match_criteria)
    job_id = str(uuid.uuid4())
    with sandbox.store.write() as conn:
        batch_id = batch.enqueue(conn, match_criteria, rows, import_job_id=job_id)
        job = _job_json(batch.batch_json(conn, batch_id, lines=True))
    batch.kick(sandbox)
    return {"data": {**job, "message": IMPORT_QUEUED}}


@router.get("/import-jobs/{job_id}", dependencies=READ, response_model=ImportJobEnvelope)
async def read_import_job(job_id: str, request: Request) -> dict[str, Any]:
    sandbox = tenant(request)
    batch.kick(sandbox)
    with sandbox.store.read() as conn:
        batch_id = batch.import_job_batch(conn, job_id)
        if batch_id is None:
            raise NotFound("Import job")
        return {"data": _job_json(batch.batch_json(conn, batch_id, lines=True))}


def _job_json(found: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": found["import_job_id"],
        "batch_id": found["id"],
        "status": found["status"],
        "match_criteria": found["match_criteria"],
        "total_rows": found["total_count"],
        "success_count": found["success_count"],
        "failed_count": found["failed_count"],
        "processed_count": found["processed_count"],
        "created_at": found["created_at"],
        "updated_at": found["updated_at"],
        "rows": [
            {"row": item["line"], "status": item["status"],
             "profile_id": item["entity_id"], "errors": item["error"]}
            for item in found["items"]
        ],
    }  # fmt: skip
