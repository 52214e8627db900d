"""Request bodies, described as exactly as JSON Schema can say it, so that a client (or a fuzzer)
following the OpenAPI description sends bodies the sandbox accepts.

Each constraint here restates a rule of ``docs/validation-rules.md`` (lengths, list sizes,
patterns, enumerations, a custom value's type chosen by its ``type``). What a schema cannot say
is left to the description: uniqueness (email, mobile, identity) and a real calendar date.
Formats: ``email``; ``e164`` (a valid phone number in E.164, e.g. ``+61412345678``); ``date``
and ``date-time`` (ISO 8601).

>>> sorted(ProfileInput.model_json_schema()["required"])
['email']
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, RootModel, create_model

from reconcile.sandbox.rules.limits import (
    MAX_ADDRESSES,
    MAX_CUSTOM_ATTRIBUTES,
    MAX_CUSTOM_VALUE,
    MAX_IDENTITIES,
    MAX_STRING,
    MAX_TAGS,
    MAX_URL,
)
from reconcile.sandbox.rules.vocabulary import (
    COMMS_FLAGS,
    COMMS_TERMS,
    COMMS_VERIFICATIONS,
    GENDERS,
    PROFILE_TYPES,
)
from reconcile.sandbox.schemas.dates import DateInput

JSON = Any
Text = Annotated[str, Field(max_length=MAX_STRING)]
# Python's idea of white space (what the sandbox strips) adds \x1c-\x1f and \x85 to JSON
# Schema's \s, so "not blank" names them too: a text of those alone is blank to the sandbox.
NOT_SPACE = r"[^\s\x1c-\x1f\x85]"
Label = Annotated[str, Field(min_length=1, max_length=MAX_STRING, pattern=NOT_SPACE)]
# A handle or namespace names its item in a URL (``/identities/{handle}``, ``{namespace}:{handle}``)
Slug = Annotated[str, Field(pattern=r"^[A-Za-z0-9_.-]{1,64}$", examples=["loyalty"])]
Email = Annotated[
    str,
    Field(max_length=MAX_STRING, json_schema_extra={"format": "email"},
          examples=["jane.citizen@example.com"]),
]  # fmt: skip
Phone = Annotated[
    str,
    Field(pattern=r"^\+[1-9]\d{6,14}$", json_schema_extra={"format": "e164"},
          description="A valid phone number in E.164.", examples=["+61412345678"]),
]  # fmt: skip
Url = Annotated[
    str, Field(max_length=MAX_URL, pattern=r"^https?://[^\s\x1c-\x1f\x85/$.?#][^\s\x1c-\x1f\x85]*$")
]
Timestamp = Annotated[str, Field(json_schema_extra={"format": "date-time"})]
Gender = Literal[GENDERS]  # type: ignore[valid-type]
ProfileType = Literal[PROFILE_TYPES]  # type: ignore[valid-type]
Verification = Literal["sent", "not_sent", "verified"]


NEVER_NULL = (
    "tags", "identities", "attributes", "comms_attributes", "custom_attributes", "addresses",
    "dates_attributes",
)  # fmt: skip


def never_null(*names: str) -> Callable[[dict[str, Any]], None]:
    """A ``json_schema_extra`` that documents ``names`` as optional but never ``null``: the API
    refuses a null list or object (leave the field out instead)."""

    def strip(schema: dict[str, Any]) -> None:
        for name in names:
            found = schema["properties"][name]
            options = [o for o in found.pop("anyOf", [found]) if o != {"type": "null"}]
            found.update(options[0] if len(options) == 1 else {"anyOf": options})
            found.pop("default", None)

    return strip


class IdentityInput(BaseModel):
    model_config = ConfigDict(extra="forbid")
    handle: Slug
    identifier: Label = Field(description="Unique with its handle across the tenant.")
    is_active: bool = True
    is_primary: bool = False


class IdentityUpdate(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra=never_null("identifier", "is_active", "is_primary")
    )
    identifier: Label | None = None
    is_active: bool | None = None
    is_primary: bool | None = None


CommsInput: type[BaseModel] = create_model(  # type: ignore[call-overload]
    "CommsInput",
    __config__=ConfigDict(extra="forbid"),
    __doc__="Comms preferences to merge (unknown names are refused).",
    **{name: (bool | None, None) for name in COMMS_FLAGS},
    **{name: (Verification | None, None) for name in COMMS_VERIFICATIONS},
    **{name: (Text | None, None) for name in COMMS_TERMS},
)


class AttributesInput(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra=never_null("comms"))
    comms: CommsInput | None = None


_VALUES: dict[str, Any] = {
    "string": Annotated[str, Field(max_length=MAX_CUSTOM_VALUE)],
    "integer": int,
    "float": float,
    "boolean": bool,
    "json": dict[str, JSON] | list[JSON],
    "array": list[JSON],
}


def _literal(kind: str) -> Any:
    return Literal[kind]


def _custom_models(keyed: bool) -> list[type[BaseModel]]:
    """One model per custom type, its ``value`` of that type (with ``namespace``, ``handle``)."""
    key: dict[str, Any] = {"namespace": (Slug, ...), "handle": (Slug, ...)} if keyed else {}
    suffix = "Attribute" if keyed else "Value"
    return [
        create_model(
            f"Custom{kind.capitalize()}{suffix}",
            __config__=ConfigDict(extra="forbid"),
            **key,
            type=(_literal(kind), ...),
            value=(value, ...),
        )
        for kind, value in _VALUES.items()
    ]


_ATTRIBUTE_MODELS = _custom_models(keyed=True)
_VALUE_MODELS = _custom_models(keyed=False)
CustomAttributeInput = Annotated[
    _ATTRIBUTE_MODELS[0] | _ATTRIBUTE_MODELS[1] | _ATTRIBUTE_MODELS[2]  # type: ignore[valid-type]
    | _ATTRIBUTE_MODELS[3] | _ATTRIBUTE_MODELS[4] | _ATTRIBUTE_MODELS[5],  # type: ignore[valid-type]
    Field(discriminator="type"),
]  # fmt: skip


class CustomValueInput(RootModel[Any]):
    """A typed value: ``value`` must be of ``type`` (a ``json`` value is an object or a list)."""

    root: Annotated[
        _VALUE_MODELS[0] | _VALUE_MODELS[1] | _VALUE_MODELS[2]  # type: ignore[valid-type]
        | _VALUE_MODELS[3] | _VALUE_MODELS[4] | _VALUE_MODELS[5],  # type: ignore[valid-type]
        Field(discriminator="type"),
    ]  # fmt: skip


class AddressInput(BaseModel):
    """An address; ``meta`` is an object; any further field is text too (at most 255
    characters)."""

    model_config = ConfigDict(extra="allow")
    __pydantic_extra__: dict[str, Text | None] = Field(init=False)
    address_line_1: Label
    address_line_2: Text | None = None
    address_line_3: Text | None = None
    company: Text | None = None
    city: Label
    state: Label
    postcode: Label
    country: Label
    is_default: bool | None = None
    meta: dict[str, Any] | None = None


class ProfileFields(BaseModel):
    """Writable profile fields; read-only fields (``id``, ``full_name``, ...) are ignored."""

    model_config = ConfigDict(json_schema_extra=never_null(*NEVER_NULL, "profile_type"))

    first_name: Text | None = Field(default=None, description='Defaults to "Unknown".')
    last_name: Text | None = Field(default=None, description='Defaults to "Unknown".')
    title: Text | None = None
    mobile_phone: Phone | None = Field(default=None, description="E.164; unique.")
    secondary_phone: Phone | None = None
    birth_day: int | None = Field(default=None, ge=1, le=31)
    birth_month: int | None = Field(
        default=None, ge=1, le=12, description="With birth_day, a real date (no 31 February)."
    )
    birth_year: int | None = Field(default=None, ge=1000, le=9999)
    gender: Gender | None = None
    company: Text | None = None
    occupation: Text | None = None
    currency: str | None = Field(default=None, pattern=r"^[A-Z]{3}$", examples=["AUD"])
    joined_at: Timestamp | None = None
    avatar_url: Url | None = None
    joined_location_id: int | None = None
    preferred_location_id: int | None = None
    profile_type: ProfileType = "active"
    tags: list[Label] | None = Field(default=None, max_length=MAX_TAGS)
    identities: list[IdentityInput] | None = Field(
        default=None, max_length=MAX_IDENTITIES, description="At most one per handle."
    )
    attributes: AttributesInput | None = None
    comms_attributes: CommsInput | None = None
    custom_attributes: list[CustomAttributeInput] | None = Field(
        default=None, max_length=MAX_CUSTOM_ATTRIBUTES
    )
    addresses: list[AddressInput] | None = Field(default=None, max_length=MAX_ADDRESSES)
    dates_attributes: list[DateInput] | None = Field(
        default=None, description="Dates added, or updated by handle and relationship."
    )


class ProfileInput(ProfileFields):
    """A profile to create (or to sync, or in a batch): ``email`` is required."""

    email: Email = Field(description="Unique (case-insensitive).")


class ProfileUpdate(ProfileFields):
    """A partial update: the fields given replace (``tags``, ``addresses`` whole); the rest stay."""

    model_config = ConfigDict(json_schema_extra=never_null(*NEVER_NULL, "profile_type", "email"))

    email: Email | None = Field(default=None, description="Unique (case-insensitive).")


class UpdateTypeInput(BaseModel):
    profile_type: ProfileType
