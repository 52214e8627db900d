"""Shapes of profile dates (``attributes.dates``) for the OpenAPI description."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

Text = str | None
_TEXT = Field(default=None, max_length=255)


class DateInput(BaseModel):
    """One date: only ``date`` is required. ``handle`` with ``relationship`` identifies it."""

    date: str = Field(
        description="A real date, YYYY-MM-DD (a date-time keeps its date).",
        json_schema_extra={"format": "date"},
    )
    is_recurring: bool = False
    recurring_schedule: Text = Field(default=None, max_length=255, examples=["Yearly"])
    type: Text = _TEXT
    name: Text = _TEXT
    handle: Text = _TEXT
    relationship: Text = _TEXT
    description: Text = _TEXT
    note: Text = _TEXT
    meta: dict[str, Any] | None = None


class DateAttribute(BaseModel):
    id: int
    profile_id: str
    type: str | None
    date: str
    is_recurring: bool
    recurring_schedule: str | None
    name: str | None
    handle: str | None
    relationship: str | None
    description: str | None
    meta: dict[str, Any] | None
    note: str | None
    created_at: str
    updated_at: str


class DateEnvelope(BaseModel):
    data: DateAttribute


class DateList(BaseModel):
    data: list[DateAttribute]
