"""What a file in ``profiles.d/`` declares: :class:`DesiredProfile` (its parts: :mod:`.parts`).

A declaration manages only the fields it names (absent = left alone, ``null`` clears).
Its :meth:`DesiredProfile.flat_view` gives them as normalised flat paths for matching and diffing.

>>> p = DesiredProfile.model_validate({"key": "jane", "email": " Jane@Example.com "})
>>> p.flat_view()
{'email': 'jane@example.com'}
"""

from __future__ import annotations

from functools import cached_property
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from reconcile.model import normalize
from reconcile.model.fields import (
    DATE_HANDLE_PATTERN,
    IDENTIFYING_FIELDS,
    IDENTITY_HANDLE_PATTERN,
    KEY_PATTERN,
    MAX_ADDRESSES,
    MAX_CUSTOM_ATTRIBUTES,
    MAX_IDENTITIES,
    MAX_TAGS,
    MAX_TEXT,
    MAX_URL,
    SCALAR_FIELDS,
    JsonValue,
    address_view,
    name_problem,
    path,
)
from reconcile.model.parts import (
    Address,
    Attributes,
    CustomAttribute,
    Erasure,
    ProfileDate,
    Strict,
    Text,
    TrimmedText,
    revived_comms,
)

Key = Annotated[str, Field(pattern=KEY_PATTERN, max_length=200)]
IdentityHandle = Annotated[str, Field(pattern=IDENTITY_HANDLE_PATTERN, max_length=100)]
DateHandle = Annotated[str, Field(pattern=DATE_HANDLE_PATTERN, max_length=255)]


def _namespace(value: str) -> str:
    problem = name_problem(value, "a namespace", dots=False)
    if problem is not None:
        raise ValueError(problem)
    return value


def _attribute_handle(value: str) -> str:
    problem = name_problem(value, "a custom attribute's handle")
    if problem is not None:
        raise ValueError(problem)
    return value


# A custom attribute's names: routed unambiguously in API paths and plan paths (see name_problem).
Namespace = Annotated[str, Field(min_length=1, max_length=MAX_TEXT), AfterValidator(_namespace)]
AttributeHandle = Annotated[
    str, Field(min_length=1, max_length=MAX_TEXT), AfterValidator(_attribute_handle)
]


# Per-profile counts Omneo bounds, by field: the noun a message counts in, and the limit.
_COUNTED = {
    "tags": ("tags", MAX_TAGS),
    "identities": ("identities", MAX_IDENTITIES),
    "custom_attributes": ("custom attributes", MAX_CUSTOM_ATTRIBUTES),
    "addresses": ("addresses", MAX_ADDRESSES),
}


def _count(field: str, value: Any) -> int:
    if field == "custom_attributes":
        # Handles nest in namespaces; a null one is a removal, not an attribute the profile holds.
        return sum(1 for handles in value.values() for item in handles.values() if item is not None)
    return len(value)


def _region(info: ValidationInfo) -> str | None:
    context = info.context or {}
    region = context.get("phone_region")
    return str(region) if region else None


class DesiredProfile(Strict):
    """One profile as ``profiles.d/`` declares it. Absent = not managed; ``null`` clears."""

    key: Key
    state: Literal["present", "absent", "purged"] = "present"
    erasure: Erasure | None = None
    # Keys this profile was managed under before (a rename, like Terraform's ``moved``): the
    # tenant profile owned under one of them is renamed to ``key``, never deleted and recreated.
    previous_keys: tuple[Key, ...] = Field(
        default=(), description="Keys this profile was managed under before (a rename)."
    )

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
    avatar_url: str | None = Field(
        default=None, max_length=MAX_URL, pattern=r"^https?://[^\s/$.?#][^\s]*$"
    )
    joined_location_id: int | None = None
    preferred_location_id: int | None = None
    tags: list[TrimmedText] | None = None
    identities: dict[IdentityHandle, TrimmedText] | None = None
    attributes: Attributes | None = None
    # A null attribute is removed from the tenant (DELETE .../attributes/custom/{ns}:{handle}).
    custom_attributes: dict[Namespace, dict[AttributeHandle, CustomAttribute | None]] | None = None
    addresses: list[Address] | None = None
    # Keyed by handle; a null date is removed from the tenant. Undeclared handles are left alone.
    dates: dict[DateHandle, ProfileDate | None] | None = None

    @model_validator(mode="before")
    @classmethod
    def _not_on_tombstone(cls, data: Any) -> Any:
        # A tombstone must not need personal data to be reviewed or kept in git. One check of the
        # whole profile, each field it names an error at its own path (a validator on every
        # field cost a Python call per field of every profile).
        state = data.get("state") if isinstance(data, dict) else None
        if state not in ("absent", "purged"):
            return data
        message = "a tombstone (state: {state}) holds only key, state and erasure"
        errors = [
            InitErrorDetails(
                type=PydanticCustomError("tombstone", message, {"state": state}),
                loc=(name,),
                input=data[name],
            )
            for name in IDENTIFYING_FIELDS
            if name in data
        ]
        if errors:
            raise ValidationError.from_exception_data(cls.__name__, errors)
        return data

    @field_validator("previous_keys")
    @classmethod
    def _previous_keys(cls, value: tuple[str, ...], info: ValidationInfo) -> tuple[str, ...]:
        key, state = info.data.get("key"), info.data.get("state")
        if value and state in ("absent", "purged"):
            raise ValueError(
                f"a tombstone (state: {state}) cannot rename; give it the key the profile is "
                "managed under, without previous_keys"
            )
        if key in value:
            raise ValueError(f"lists the profile's own key {key!r}; keep only earlier keys")
        if len(set(value)) != len(value):
            raise ValueError("lists a key twice")
        return value

    @field_validator("erasure")
    @classmethod
    def _erasure_needs_purge(cls, value: Erasure | None, info: ValidationInfo) -> Erasure | None:
        if value is not None and info.data.get("state") != "purged":
            raise ValueError("erasure is only allowed with state: purged")
        return value

    @field_validator("email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        if value is None:  # Omneo requires an email on every write that names it
            raise ValueError(
                "cannot be cleared: Omneo requires an email; remove the line to keep it"
            )
        return normalize.normalize_email(value)

    @field_validator("mobile_phone", "secondary_phone")
    @classmethod
    def _phone(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None:
            return value
        return normalize.normalize_phone(value, region=_region(info))

    @field_validator("first_name", "last_name")
    @classmethod
    def _name(cls, value: str | None) -> str:
        return normalize.normalize_person_name(value)

    @field_validator("title", "company", "occupation")
    @classmethod
    def _text(cls, value: str | None) -> str | None:
        return normalize.normalize_optional_text(value)

    @field_validator("gender", mode="before")
    @classmethod
    def _gender(cls, value: Any) -> Any:
        return value.lower() if isinstance(value, str) else value  # Omneo takes MALE as male

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

    @field_validator(*_COUNTED)
    @classmethod
    def _within_limit(cls, value: Any, info: ValidationInfo) -> Any:
        # After normalisation, so tags that become one (a b, a-b) count once, as they are sent.
        field = str(info.field_name)
        noun, limit = _COUNTED[field]
        count = 0 if value is None else _count(field, value)
        if count > limit:
            raise ValueError(
                f"declares {count:,} {noun}; Omneo keeps at most {limit:,} a profile "
                f"(a write over it is refused): remove {count - limit:,}"
            )
        return value

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
            view["tags"] = None if self.tags is None else [*self.tags]
        for handle, identifier in sorted((self.identities or {}).items()):
            view[path("identities", handle)] = identifier
        if self.attributes is not None:
            comms = self.attributes.comms  # the flags declared, read without a model_dump
            for flag in sorted(comms.model_fields_set):
                view[path("attributes.comms", flag)] = getattr(comms, flag)
        for namespace, handles in sorted((self.custom_attributes or {}).items()):
            for handle, attribute in sorted(handles.items()):
                value = attribute.value if attribute is not None else None
                view[path("custom_attributes", namespace, handle)] = value
        if "addresses" in declared:
            view["addresses"] = [address_view(a.model_dump()) for a in self.addresses or []]
        for handle, profile_date in sorted((self.dates or {}).items()):
            view[path("dates", handle)] = profile_date.view() if profile_date else None
        return view

    def custom_type(self, namespace: str, handle: str) -> str:
        attribute = (self.custom_attributes or {})[namespace][handle]
        return attribute.type if attribute is not None else "string"


def revive(data: dict[str, Any]) -> DesiredProfile:
    """A profile from its own ``model_dump(mode="json", exclude_unset=True)``, as the loader's
    cache holds it: built without validating again (it was validated and normalised when the file
    was first read; reviving costs a tenth of validating)."""
    values = dict(data)
    if "previous_keys" in values:
        values["previous_keys"] = tuple(values["previous_keys"])
    if values.get("erasure") is not None:
        values["erasure"] = Erasure.revived(values["erasure"])
    if values.get("attributes") is not None:
        attributes = dict(values["attributes"])
        if attributes.get("comms") is not None:
            attributes["comms"] = revived_comms(attributes["comms"])
        values["attributes"] = Attributes.revived(attributes)
    if values.get("custom_attributes") is not None:
        values["custom_attributes"] = {
            namespace: {
                handle: None if item is None else CustomAttribute.revived(item)
                for handle, item in handles.items()
            }
            for namespace, handles in values["custom_attributes"].items()
        }
    if values.get("addresses") is not None:
        values["addresses"] = [Address.revived(address) for address in values["addresses"]]
    if values.get("dates") is not None:
        values["dates"] = {
            handle: None if item is None else ProfileDate.revived(item)
            for handle, item in values["dates"].items()
        }
    return DesiredProfile.revived(values)
