"""Profile dates (``attributes.dates``): list, add or update one, delete one.

``PUT`` takes one date input and answers the stored date; it updates the date with the same
``handle`` and ``relationship`` when there is one (see :mod:`reconcile.sandbox.storage.dates`).
``DELETE`` answers the dates that remain, as Omneo's SDK reads it.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request

from reconcile.sandbox.http.context import json_body, require_read, require_write, tenant
from reconcile.sandbox.problems import Invalid, NotFound
from reconcile.sandbox.rules.dates import validate_date
from reconcile.sandbox.rules.errorbag import Errors
from reconcile.sandbox.rules.values import now
from reconcile.sandbox.schemas.answers import body_doc
from reconcile.sandbox.schemas.dates import DateEnvelope, DateInput, DateList
from reconcile.sandbox.storage import dates, profiles
from reconcile.sandbox.storage.render import date_json
from reconcile.sandbox.storage.store import Connection

router = APIRouter(tags=["attributes"])
READ = [Depends(require_read)]
WRITE = [Depends(require_write)]
PATH = "/profiles/{profile_id}/attributes/dates"


def _listed(conn: Connection, profile_id: str) -> dict[str, Any]:
    return {"data": [date_json(row) for row in dates.dates_of(conn, profile_id)]}


@router.get(PATH, dependencies=READ, response_model=DateList)
async def list_dates(profile_id: str, request: Request) -> dict[str, Any]:
    with tenant(request).store.read() as conn:
        profiles.fetch_row(conn, profile_id)
        return _listed(conn, profile_id)


@router.put(
    PATH, dependencies=WRITE, response_model=DateEnvelope, openapi_extra=body_doc(DateInput)
)
async def put_date(profile_id: str, request: Request) -> dict[str, Any]:
    """Add a date, or update the one with the same handle and relationship."""
    profiles.ensure_exists(tenant(request).store, profile_id)
    errors = Errors()
    item = validate_date(await json_body(request), errors)
    if item is None:
        raise Invalid(errors.by_field)
    with tenant(request).store.write() as conn:
        profiles.fetch_row(conn, profile_id)
        date_id = dates.upsert_date(conn, profile_id, item, now())
        profiles.touch(conn, profile_id)
        return {"data": date_json(dates.date_row(conn, date_id))}


@router.delete(PATH + "/{date_id}", dependencies=WRITE, response_model=DateList)
async def delete_date(profile_id: str, date_id: str, request: Request) -> dict[str, Any]:
    with tenant(request).store.write() as conn:
        profiles.fetch_row(conn, profile_id)
        if not dates.delete_date(conn, profile_id, date_id):
            raise NotFound("Date")
        profiles.touch(conn, profile_id)
        return _listed(conn, profile_id)
