"""The typed values that flow through the pipeline: declared and observed profiles.

A :class:`DesiredProfile` is what a file in ``profiles.d/`` declares; an :class:`ObservedProfile` is
what the tenant holds. Both reduce to a *flat view*: a mapping of field paths (``email``,
``identities.shopify``, ``attributes.comms.email_promo``, ``custom_attributes.loyalty.tier``) to
normalised JSON values, so that matching and diffing compare like with like.

>>> p = DesiredProfile.model_validate({"key": "jane", "email": " Jane@Example.com "})
>>> p.flat_view()
{'email': 'jane@example.com'}
"""

from __future__ import annotations

import hashlib
import json
from datetime import date
from functools import cached_property
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    create_model,
    field_validator,
    model_validator,
)

from reconcile import normalize

JsonValue = Any  # JSON-compatible value (str, int, float, bool, None, list, dict)

KEY_PATTERN = r"^[a-z0-9][a-z0-9._-]*$"
GENDERS = ("male", "female", "withheld", "other")
PROFILE_TYPES = ("active", "deleted", "dependant", "incomplete", "pending", "system", "temporary")
COMMS_CHANNELS = ("email", "sms", "push", "phone", "post")
COMMS_KINDS = (
    "optout",
    "bounced",
    "promo",
    "discover",
    "benefits",
    "reminders",
    "account",
    "bookings",
    "feedback",
    "location",
    "service",
)
COMMS_FLAGS = tuple(f"{channel}_{kind}" for channel in COMMS_CHANNELS for kind in COMMS_KINDS)
COMMS_VERIFICATIONS = (
    "email_verification",
    "sms_verification",
    "phone_verification",
    "post_verification",
)
COMMS_OTHER = ("terms_accepted_at", "terms_accepted_version")
COMMS_FIELDS = COMMS_FLAGS + COMMS_VERIFICATIONS + COMMS_OTHER
CUSTOM_TYPES = ("string", "integer", "float", "boolean", "json", "array")
_CUSTOM_TYPE_CHECKS: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "float": (float, int),
    "boolean": (bool,),
    "json": (dict, list),
    "array": (list,),
}


def is_custom_type(kind: str, value: Any) -> bool:
    """Whether ``value`` is of custom attribute type ``kind`` (a bool is not a number).

    >>> is_custom_type("integer", 3), is_custom_type("integer", True)
    (True, False)
    """
    expected = _CUSTOM_TYPE_CHECKS[kind]
    return isinstance(value, expected) and (kind == "boolean" or not isinstance(value, bool))


# Scalar profile fields a declaration may manage, in Omneo's names and in display order.
SCALAR_FIELDS = (
    "title",
    "first_name",
    "last_name",
    "email",
    "mobile_phone",
    "secondary_phone",
    "birth_day",
    "birth_month",
    "birth_year",
    "gender",
    "company",
    "occupation",
    "currency",
    "joined_at",
    "avatar_url",
    "joined_location_id",
    "preferred_location_id",
)
ADDRESS_FIELDS = (
    "address_line_1",
    "address_line_2",
    "address_line_3",
    "company",
    "city",
    "state",
    "postcode",
    "country",
    "iso",
    "iso_state",
    "is_default",
    "notes",
    "external_id",
)
# Fields whose values identify a person: masked in every report and log unless --show-pii.
PII_PREFIXES = (
    "title",
    "first_name",
    "last_name",
    "email",
    "mobile_phone",
    "secondary_phone",
    "birth_",
    "addresses",
    "avatar_url",
)

Key = Annotated[str, Field(pattern=KEY_PATTERN, max_length=200)]
Text = Annotated[str, Field(max_length=255)] | None
IdentityHandle = Annotated[str, Field(pattern=r"^[A-Za-z0-9_.:-]+$", max_length=100)]
# Fields a tombstone may not carry: everything but key, state and erasure.
IDENTIFYING_FIELDS = (*SCALAR_FIELDS, "tags", "identities", "attributes", "custom_attributes",
                      "addresses")  # fmt: skip


def is_pii(path: str) -> bool:
    """Whether a flat-view path holds personal data."""
    return path.startswith(PII_PREFIXES)


def _region(info: ValidationInfo) -> str | None:
    context = info.context or {}
    region = context.get("phone_region")
    return str(region) if region else None


def _trusted(info: ValidationInfo) -> bool:
    # Values read back from the loader's cache were normalised when first validated.
    return bool((info.context or {}).get("trusted"))


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=False)


class Erasure(_Strict):
    """Why a profile is purged: a reference to the erasure request (no PII needed)."""

    reference: str = Field(min_length=1)


class CustomAttribute(_Strict):
    """A typed custom attribute value. A bare YAML value is accepted and its type inferred."""

    type: Literal["string", "integer", "float", "boolean", "json", "array"]
    value: JsonValue

    @model_validator(mode="before")
    @classmethod
    def _infer_type(cls, data: Any) -> Any:
        if isinstance(data, dict) and set(data) <= {"type", "value"} and "type" in data:
            return data
        return {"type": infer_custom_type(data), "value": data}

    @model_validator(mode="after")
    def _value_matches_type(self) -> CustomAttribute:
        if self.value is None:
            raise ValueError("a typed value cannot be null; write `handle: null` to remove it")
        if not is_custom_type(self.type, self.value):
            raise ValueError(f"value {self.value!r} is not of type {self.type}")
        return self


def infer_custom_type(value: Any) -> str:
    """The type a bare custom attribute value in a declaration is read as (export writes it)."""
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "float"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "json"
    return "string"


class Address(_Strict):
    address_line_1: str
    address_line_2: str | None = None
    address_line_3: str | None = None
    company: str | None = None
    city: str
    state: str
    postcode: str
    country: str
    iso: str | None = None
    iso_state: str | None = None
    is_default: bool | None = None
    notes: str | None = None
    external_id: str | None = None


def _comms_fields() -> dict[str, Any]:
    fields: dict[str, Any] = {name: (bool | None, None) for name in COMMS_FLAGS}
    verification = Literal["sent", "not_sent", "verified"] | None
    fields.update({name: (verification, None) for name in COMMS_VERIFICATIONS})
    fields.update({name: (str | None, None) for name in COMMS_OTHER})
    return fields


# One field per flag (built from the tables above) so that a misspelt or mistyped flag is reported
# at its own path, and the JSON schema lists every flag for editor completion.
Comms = create_model("Comms", __base__=_Strict, **_comms_fields())


class Attributes(_Strict):
    comms: Comms = Field(default_factory=Comms)

    @field_validator("comms", mode="before")
    @classmethod
    def _terms_timestamp(cls, value: Any) -> Any:
        # YAML reads an unquoted date as a date; Omneo stores the text.
        if isinstance(value, dict) and isinstance(value.get("terms_accepted_at"), date):
            return {
                **value,
                "terms_accepted_at": normalize.normalize_timestamp(value["terms_accepted_at"]),
            }
        return value


class DesiredProfile(_Strict):
    """One profile as ``profiles.d/`` declares it. Absent = not managed; ``null`` clears."""

    key: Key
    state: Literal["present", "absent", "purged"] = "present"
    erasure: Erasure | None = None

    title: Text = None
    first_name: Text = None
    last_name: Text = None
    email: Text = None
    mobile_phone: str | None = None
    secondary_phone: str | None = None
    # Month and year come before the day so that the day's validator can check for a real date.
    birth_month: int | None = Field(default=None, ge=1, le=12)
    birth_year: int | None = Field(default=None, ge=1000, le=9999)
    birth_day: int | None = Field(default=None, ge=1, le=31)
    gender: Literal["male", "female", "withheld", "other"] | None = None
    company: Text = None
    occupation: Text = None
    currency: str | None = Field(default=None, pattern=r"^[A-Z]{3}$")
    joined_at: str | None = None
    avatar_url: str | None = Field(default=None, pattern=r"^https?://[^\s/$.?#][^\s]*$")
    joined_location_id: int | None = None
    preferred_location_id: int | None = None
    tags: list[Annotated[str, Field(min_length=1, max_length=255)]] | None = None
    identities: dict[IdentityHandle, Annotated[str, Field(min_length=1)]] | None = None
    attributes: Attributes | None = None
    # A null attribute is removed from the tenant (DELETE .../attributes/custom/{ns}:{handle}).
    custom_attributes: dict[str, dict[str, CustomAttribute | None]] | None = None
    addresses: list[Address] | None = None

    @field_validator(*IDENTIFYING_FIELDS)
    @classmethod
    def _not_on_tombstone(cls, value: Any, info: ValidationInfo) -> Any:
        # A tombstone must not need personal data to be reviewed or kept in git.
        state = info.data.get("state")
        if state in ("absent", "purged"):
            raise ValueError(f"a tombstone (state: {state}) holds only key, state and erasure")
        return value

    @field_validator("erasure")
    @classmethod
    def _erasure_needs_purge(cls, value: Erasure | None, info: ValidationInfo) -> Erasure | None:
        if value is not None and info.data.get("state") != "purged":
            raise ValueError("erasure is only allowed with state: purged")
        return value

    @field_validator("email")
    @classmethod
    def _email(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None or _trusted(info):
            return value
        return normalize.normalize_email(value)

    @field_validator("mobile_phone", "secondary_phone")
    @classmethod
    def _phone(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None or _trusted(info):
            return value
        return normalize.normalize_phone(value, region=_region(info))

    @field_validator("first_name", "last_name", "title", "company", "occupation")
    @classmethod
    def _trim(cls, value: str | None) -> str | None:
        return None if value is None else normalize.normalize_name(value)

    @field_validator("birth_day")
    @classmethod
    def _real_date(cls, value: int | None, info: ValidationInfo) -> int | None:
        month, year = info.data.get("birth_month"), info.data.get("birth_year")
        if value is not None and month is not None:
            normalize.check_birth_date(value, month, year)
        return value

    @field_validator("joined_at", mode="before")
    @classmethod
    def _timestamp(cls, value: Any) -> Any:
        return None if value is None else normalize.normalize_timestamp(value)

    @field_validator("tags")
    @classmethod
    def _tags(cls, value: list[str] | None) -> list[str] | None:
        # tags are the exact set, so clearing them (null) means declaring none
        return sorted({normalize.normalize_tag(tag) for tag in value or []})

    @model_validator(mode="after")
    def _tombstone_rules(self) -> DesiredProfile:
        if self.state == "purged" and self.erasure is None:
            raise ValueError("state: purged needs erasure: {reference: ...} naming the request")
        return self

    @property
    def is_tombstone(self) -> bool:
        return self.state != "present"

    def flat_view(self) -> dict[str, JsonValue]:
        """The declared (managed) fields as flat paths with normalised values (a fresh dict)."""
        return dict(self._flat_view)

    @cached_property
    def _flat_view(self) -> dict[str, JsonValue]:
        # Matching, lookups and diffing each need the view: built once per (frozen) profile.
        # pydantic ignores cached properties in equality, hashing and dumps.
        declared = self.model_fields_set
        view: dict[str, JsonValue] = {n: getattr(self, n) for n in SCALAR_FIELDS if n in declared}
        if "tags" in declared:
            view["tags"] = self.tags
        for handle, identifier in sorted((self.identities or {}).items()):
            view[_path("identities", handle)] = identifier
        if self.attributes is not None:
            for flag, flag_value in sorted(
                self.attributes.comms.model_dump(exclude_unset=True).items()
            ):
                view[_path("attributes.comms", flag)] = flag_value
        for namespace, handles in sorted((self.custom_attributes or {}).items()):
            for handle, attribute in sorted(handles.items()):
                value = attribute.value if attribute is not None else None
                view[_path("custom_attributes", namespace, handle)] = value
        if "addresses" in declared:
            view["addresses"] = [_address_view(a.model_dump()) for a in self.addresses or []]
        return view

    def custom_type(self, namespace: str, handle: str) -> str:
        attribute = (self.custom_attributes or {})[namespace][handle]
        return attribute.type if attribute is not None else "string"


def _path(*parts: str) -> str:
    # One shared string per field path, not one per profile: at 100,000 profiles the flat views'
    # keys alone were hundreds of MB. Looked up, not re-joined: this runs ~70 times a profile.
    found = _PATHS.get(parts)
    if found is None:
        found = _PATHS[parts] = ".".join(parts)
    return found


_PATHS: dict[tuple[str, ...], str] = {}


def _address_view(address: dict[str, Any]) -> dict[str, JsonValue]:
    return {name: address.get(name) for name in ADDRESS_FIELDS if address.get(name) is not None}


class Identity(BaseModel):
    """An identity as the API returns it."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    id: int
    handle: str
    identifier: str
    is_primary: bool = False
    is_active: bool = True
    profile_id: str


class ObservedProfile(BaseModel):
    """A profile as the tenant holds it, reduced to the flat view plus what apply needs."""

    model_config = ConfigDict(frozen=True)

    id: str
    profile_type: str = "active"
    identities: tuple[Identity, ...] = ()
    fields: dict[str, JsonValue]

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> ObservedProfile:
        identities = tuple(
            sorted(
                (Identity.model_validate(i) for i in data.get("identities") or []),
                key=lambda identity: identity.id,
            )
        )
        return cls(
            id=str(data["id"]),
            profile_type=str(data.get("profile_type") or "active"),
            identities=identities,
            fields=_observed_view(data, identities),
        )

    def identifier(self, handle: str) -> str | None:
        return next((i.identifier for i in self.identities if i.handle == handle), None)

    def fingerprint(self) -> str:
        """A digest of everything reconcile can manage on this profile: changes when it moves."""
        payload = json.dumps([self.id, self.fields], sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(payload.encode()).hexdigest()[:16]


def _observed_view(data: dict[str, Any], identities: tuple[Identity, ...]) -> dict[str, JsonValue]:
    view: dict[str, JsonValue] = {
        name: _coerce_int_text(name, data.get(name)) for name in SCALAR_FIELDS
    }
    view["tags"] = sorted(str(tag) for tag in data.get("tags") or [])
    for identity in reversed(identities):  # the oldest identity of a handle wins
        view[_path("identities", identity.handle)] = identity.identifier
    comms = (data.get("attributes") or {}).get("comms") or {}
    for flag in COMMS_FIELDS:  # an unset (null) flag is left out: reading it gives None anyway
        if comms.get(flag) is not None:
            view[_path("attributes.comms", flag)] = comms[flag]
    for namespace, handles in sorted((data.get("custom_attributes") or {}).items()):
        for handle, value in sorted((handles or {}).items()):
            view[_path("custom_attributes", namespace, handle)] = value
    view["addresses"] = [_address_view(a) for a in data.get("addresses") or []]
    return view


def _coerce_int_text(name: str, value: Any) -> Any:
    # Omneo's examples render birth parts as strings ("1"); compare them as the integers they are.
    if name.startswith("birth_") and isinstance(value, str) and value.isdigit():
        return int(value)
    return value
