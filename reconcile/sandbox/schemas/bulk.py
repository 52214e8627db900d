"""Request and response shapes of the bulk, lookup and address endpoints (see ``answers.py``)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from reconcile.sandbox.schemas.answers import ProfileInput
from reconcile.sandbox.schemas.inputs import Email, Label, Phone


def csv_body_doc() -> dict[str, Any]:
    """``openapi_extra`` for a CSV request body (the import format of docs/import-format.md)."""
    schema = {
        "type": "string",
        "description": "A CSV file, UTF-8, with a header row naming the match column (`email`,"
        " or `identity:<handle>` for match_criteria=<handle>); see docs/import-format.md. The"
        " pattern shows the simplest shape: an `email` column, then any of a few others.",
        "pattern": r"^email(,first_name)?(,last_name)?(,company)?(,tags)?(\r?\n[^\r\n]*)*$",
        "examples": ["email,first_name,tags\njane@example.com,Jane,vip|mobile app\n"],
    }
    return {"requestBody": {"required": True, "content": {"text/csv": {"schema": schema}}}}


class SearchIdInput(BaseModel):
    type: Label = Field(description='"profile_id" or an identity handle')
    id: Label


class AvailabilityInput(BaseModel):
    email: Email | None = None
    mobile_phone: Phone | None = None


class Holder(BaseModel):
    id: str
    full_name: str


class Availability(BaseModel):
    available: bool = Field(description="true when no profile holds the value")
    profile: Holder | None


class AvailabilityEnvelope(BaseModel):
    data: dict[Literal["email", "mobile_phone"], Availability]


class BatchInput(BaseModel):
    match_criteria: Label = Field(description='"email" or an identity handle', examples=["email"])
    profiles: list[ProfileInput] = Field(min_length=1, max_length=500)


class BatchItem(BaseModel):
    id: int
    position: int
    entity_id: str | None
    external_id: str | None
    status: Literal["pending", "success", "failed"]
    error: dict[str, list[str]] | None
    created_at: str
    updated_at: str


class Batch(BaseModel):
    id: str
    import_job_id: str | None
    entity_type: str
    match_criteria: str
    status: Literal["pending", "processing", "completed"]
    total_count: int
    success_count: int
    failed_count: int
    processed_count: int
    created_at: str
    updated_at: str
    items: list[BatchItem]


class BatchEnvelope(BaseModel):
    data: Batch


class ImportRow(BaseModel):
    row: int = Field(description="Line of the file (the header is row 1)")
    status: Literal["pending", "success", "failed"]
    profile_id: str | None
    errors: dict[str, list[str]] | None


class ImportJob(BaseModel):
    id: str
    batch_id: str
    status: Literal["pending", "processing", "completed"]
    match_criteria: str
    total_rows: int
    success_count: int
    failed_count: int
    processed_count: int
    created_at: str
    updated_at: str
    rows: list[ImportRow]
    message: str | None = None


class ImportJobEnvelope(BaseModel):
    data: ImportJob


class Address(BaseModel):
    """A stored address as answered, every key present (not held to the input's limits: what is
    stored is shown)."""

    model_config = ConfigDict(extra="allow")
    id: int | None
    address_line_1: str | None
    address_line_2: str | None
    address_line_3: str | None
    company: str | None
    is_default: bool | None
    latitude: str | None
    longitude: str | None
    city: str | None
    state: str | None
    postcode: str | None
    country: str | None
    iso: str | None
    iso_state: str | None
    notes: str | None
    meta: dict[str, Any] | None
    external_id: str | None


class AddressEnvelope(BaseModel):
    data: Address


class AddressList(BaseModel):
    data: list[Address]
