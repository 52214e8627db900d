"""Request and response shapes, for the OpenAPI description (responses are also checked against
them by FastAPI, so the description cannot drift from what the sandbox answers).

Request bodies are read and validated by :mod:`reconcile.sandbox.rules.validation` (Omneo's
messages, every error at once); :func:`body_doc` documents them in the OpenAPI description from
the input models here.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, create_model

from reconcile.sandbox.rules.vocabulary import APPEARANCE_FIELDS
from reconcile.sandbox.schemas.dates import DateAttribute
from reconcile.sandbox.schemas.inputs import (
    AddressInput,
    CommsInput,
    CustomValueInput,
    IdentityInput,
    IdentityUpdate,
    ProfileInput,
    ProfileUpdate,
    Text,
    UpdateTypeInput,
)

JSON = Any
_INPUT_MODELS: dict[str, type[BaseModel]] = {}
__all__ = [
    "AddressInput",
    "CommsInput",
    "CustomValueInput",
    "IdentityInput",
    "IdentityUpdate",
    "ProfileInput",
    "ProfileUpdate",
    "UpdateTypeInput",
]


def body_doc(model: type[BaseModel], content_type: str = "application/json") -> dict[str, Any]:
    """``openapi_extra`` describing a request body by a model (installed by :func:`add_schemas`)."""
    _INPUT_MODELS[model.__name__] = model
    ref = {"$ref": f"#/components/schemas/{model.__name__}"}
    return {"requestBody": {"required": True, "content": {content_type: {"schema": ref}}}}


def add_schemas(spec: dict[str, Any]) -> dict[str, Any]:
    schemas = spec.setdefault("components", {}).setdefault("schemas", {})
    for model in _INPUT_MODELS.values():
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        schemas.update(schema.pop("$defs", {}))
        schemas[model.__name__] = schema
    return spec


class Identity(BaseModel):
    id: int
    handle: str
    identifier: str
    is_primary: bool
    is_active: bool
    profile_id: str
    merged_from: str | None
    created_at: str
    updated_at: str


class Attributes(BaseModel):
    comms: dict[str, JSON]
    appearance: dict[str, JSON]
    dates: list[DateAttribute]


class Profile(BaseModel):
    id: str
    external_id: str | None
    first_name: str
    last_name: str
    full_name: str
    email: str
    mobile_phone: str | None
    mobile_phone_country: int | None
    mobile_phone_national: str | None
    mobile_phone_national_prefix: str | None
    mobile_phone_e164: str | None
    title: str | None
    secondary_phone: str | None
    birth_day: int | None
    birth_month: int | None
    birth_year: int | None
    gender: str | None
    company: str | None
    occupation: str | None
    currency: str | None
    joined_at: str | None
    avatar_url: str | None
    joined_location_id: int | None
    preferred_location_id: int | None
    is_completed: bool = Field(description="a real first and last name, and an email")
    custom_fields: dict[str, JSON] = Field(description="the tenant's own fields: none here")
    birth_date: str | None
    birth_days: int | None
    birth_days_past: int | None
    next_birthday: str | None
    joined_location: JSON
    preferred_location: JSON
    tier_handle: str | None
    tier: JSON
    identities: list[Identity]
    tags: list[str]
    statuses: list[str]
    statuses_original: list[JSON]
    attributes: Attributes
    custom_attributes: dict[str, dict[str, JSON]] = Field(
        description="{namespace: {handle: value}}"
    )
    address: dict[str, JSON] | None = Field(description="the default address, else the first")
    addresses: list[dict[str, JSON]]
    reward_balance: float
    point_balance: float
    combined_balance_dollars: float
    point_balance_dollars: float
    benefit_balance: float
    credit_balance: float
    profile_type: str
    region: JSON
    regions: list[JSON]
    created_at: str
    updated_at: str


class ProfileEnvelope(BaseModel):
    data: Profile


class PageLinks(BaseModel):
    first: str
    last: str
    prev: str | None
    next: str | None


class MetaLink(BaseModel):
    url: str | None
    label: str
    active: bool


class PageMeta(BaseModel):
    current_page: int
    model_config = ConfigDict(populate_by_name=True)
    from_: int | None = Field(alias="from")
    last_page: int
    links: list[MetaLink]
    path: str
    per_page: int
    to: int | None
    total: int


class ProfilePage(BaseModel):
    data: list[Profile]
    links: PageLinks
    meta: PageMeta


class IdentityWithProfile(Identity):
    profile: Profile | None = None


class IdentityEnvelope(BaseModel):
    data: Identity


class IdentityList(BaseModel):
    data: list[Identity]


class IdentityPage(BaseModel):
    data: list[IdentityWithProfile]
    links: PageLinks
    meta: PageMeta


class CustomAttribute(BaseModel):
    id: int
    profile_id: str
    namespace: str
    handle: str
    type: str
    value: JSON
    created_at: str
    updated_at: str


class CustomAttributeEnvelope(BaseModel):
    data: CustomAttribute


class CustomAttributeList(BaseModel):
    data: list[CustomAttribute]


class Appearance(BaseModel):
    """``attributes.appearance``: every key of the SDK's ``ProfileAppearance`` type."""

    model_config = ConfigDict(extra="allow")
    profile_id: str
    created_at: str | None
    updated_at: str | None


class AppearanceEnvelope(BaseModel):
    data: Appearance


# Keys of the appearance to set (text of at most 255 characters) or clear (null).
AppearanceInput = create_model(
    "AppearanceInput",
    __config__=ConfigDict(extra="forbid"),
    **{name: (Text | None, None) for name in APPEARANCE_FIELDS},  # type: ignore[call-overload]
)


class CommsEnvelope(BaseModel):
    data: dict[str, JSON]


class CommsList(BaseModel):
    data: list[dict[str, JSON]]


class Message(BaseModel):
    message: str
    batch_id: str | None = None


class MessageEnvelope(BaseModel):
    data: Message


class ProfileList(BaseModel):
    data: list[Profile]
