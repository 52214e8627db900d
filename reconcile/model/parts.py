"""The parts of a declaration: text types, custom attributes, addresses, dates, comms.

Each is validated where :class:`~reconcile.model.desired.DesiredProfile` holds it, and each holds
Omneo's rules for its values (``docs/validation-rules.md``), so a file fails at ``validate``, not
at apply.

>>> ProfileDate.model_validate({"date": "2015-3-14", "recurring": "yearly"}).view()
{'date': '2015-03-14', 'recurring': 'yearly'}
>>> CustomAttribute.model_validate(3).type
'integer'
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import date
from typing import Annotated, Any, Literal, Self, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    create_model,
    field_validator,
    model_validator,
)

from reconcile import fastpaths
from reconcile.model import forms, normalize
from reconcile.model.fields import (
    COMMS_FLAGS,
    COMMS_OTHER,
    COMMS_VERIFICATIONS,
    DATE_TEXT_FIELDS,
    MAX_CUSTOM_VALUE,
    MAX_TEXT,
    JsonValue,
    infer_custom_type,
    is_custom_type,
    is_finite,
)

ShortText = Annotated[str, Field(max_length=MAX_TEXT)]
Text = ShortText | None


def _trimmed(value: str) -> str:
    # Omneo stores these trimmed, and refuses blank ones.
    trimmed = value.strip()
    if not trimmed:
        raise ValueError("must not be empty")
    return trimmed


# Trimmed, not blank, at most 255 characters: an identifier, a tag, a date's schedule.
TrimmedText = Annotated[str, Field(max_length=MAX_TEXT), AfterValidator(_trimmed)]


# One set object per distinct combination of declared fields, shared by every model revived from
# the cache (apply revives the profiles it writes): a set of 20 names costs 1.2 KB, and most
# profiles of a tree declare the same fields. Validated models are not kept (the plan holds
# declarations: declaration.py), so they are not worth a validator that shares it.
_FIELD_SETS: dict[frozenset[str], set[str]] = {}


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=False)

    @classmethod
    def revived(cls, values: dict[str, Any]) -> Self:
        """The model from values it was validated from before (the loader's cache): built as
        ``model_construct`` builds it, not validated again, with the defaults worked out once per
        class (``model_construct`` looks up every default of every instance: 61 for comms).
        Nested values must be revived by the caller."""
        defaults = _DEFAULTS.get(cls)
        if defaults is None:
            defaults = _DEFAULTS[cls] = _defaults(cls)
        return constructed(cls, {**defaults, **values}, shared_fields(values))


M = TypeVar("M", bound=BaseModel)

# The private attributes a pydantic model keeps besides its fields (pydantic 2's slots):
# ``constructed`` writes them itself, and a release without them sends it to ``model_construct``.
_PRIVATE = ("__pydantic_fields_set__", "__pydantic_extra__", "__pydantic_private__")


def private_parts_found() -> bool:
    """Whether pydantic's models still keep the private attributes ``constructed`` writes."""
    slots = getattr(BaseModel, "__slots__", ())
    return all(name in slots for name in _PRIVATE)


PRIVATE_PARTS_FOUND = private_parts_found()


def constructed(cls: type[M], values: dict[str, Any], fields_set: set[str]) -> M:
    """What ``model_construct`` does, without its per-field walk: ``values`` holds every field
    already (values known to be valid), ``fields_set`` the ones given. The one place that knows
    pydantic's private attributes of a model; without them, or with ``RECONCILE_NO_FAST_PATHS=1``
    (:mod:`reconcile.fastpaths`), it is ``model_construct`` itself."""
    if not (PRIVATE_PARTS_FOUND and fastpaths.enabled()):
        return cls.model_construct(fields_set, **values)
    model = cls.__new__(cls)
    object.__setattr__(model, "__dict__", values)
    object.__setattr__(model, "__pydantic_fields_set__", fields_set)
    object.__setattr__(model, "__pydantic_extra__", None)
    object.__setattr__(model, "__pydantic_private__", None)
    return model


_DEFAULTS: dict[type[BaseModel], dict[str, Any]] = {}


def _defaults(model: type[BaseModel]) -> dict[str, Any]:
    """Each optional field's default (one shared value: the models are frozen)."""
    return {
        name: field.get_default(call_default_factory=True, validated_data={})
        for name, field in model.model_fields.items()
        if not field.is_required()
    }


def shared_fields(names: Iterable[str]) -> set[str]:
    """The one set object for this combination of field names."""
    key = frozenset(names)
    found = _FIELD_SETS.get(key)
    if found is None:
        found = _FIELD_SETS[key] = set(key)
    return found


class Erasure(Strict):
    """Why a profile is purged: a reference to the erasure request (no PII needed)."""

    reference: str = Field(min_length=1)


class CustomAttribute(Strict):
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
            raise ValueError(f"the value is not of type {self.type}")  # a value may be PII
        if not is_finite(self.value):
            raise ValueError("holds Infinity or NaN, which JSON (so Omneo) cannot carry")
        # Omneo's limit counts a text value's characters, any other value's JSON text.
        length = len(self.value if isinstance(self.value, str) else json.dumps(self.value))
        if length > MAX_CUSTOM_VALUE:
            raise ValueError(
                f"is {length:,} characters long; Omneo keeps at most {MAX_CUSTOM_VALUE:,}"
            )
        return self


class Address(Strict):
    address_line_1: ShortText
    address_line_2: Text = None
    address_line_3: Text = None
    company: Text = None
    city: ShortText
    state: ShortText
    postcode: ShortText
    country: ShortText
    iso: Text = None
    iso_state: Text = None
    is_default: StrictBool | None = None  # not "yes" or 1: Omneo refuses them
    notes: Text = None
    external_id: Text = None


class ProfileDate(Strict):
    """An important date, named by its handle and declared whole (a field left out is cleared).
    recurring: a schedule such as yearly, or true; false or absent for a one-off date."""

    date: Annotated[str, Field(pattern=r"^\d{4}-\d{1,2}-\d{1,2}$", description="YYYY-MM-DD")]
    recurring: Annotated[str, Field(min_length=1, max_length=MAX_TEXT)] | bool | None = None
    relationship: Text = None
    name: Text = None
    type: Text = None
    description: Text = None
    note: Text = None
    meta: dict[str, JsonValue] | None = None

    @field_validator("date", mode="before")
    @classmethod
    def _calendar_date(cls, value: Any) -> Any:
        return normalize.normalize_calendar_date(value)

    @field_validator(*DATE_TEXT_FIELDS)
    @classmethod
    def _text(cls, value: str | None) -> str | None:
        return normalize.normalize_optional_text(value)  # as Omneo stores it: "" is null

    @field_validator("recurring", mode="before")
    @classmethod
    def _schedule(cls, value: Any) -> Any:
        # Checked here, not by the union, whose errors would name its branches.
        if value is None or isinstance(value, bool):
            return value
        if not isinstance(value, str):
            raise ValueError("must be a schedule such as yearly, or true or false")
        if len(value) > MAX_TEXT:
            raise ValueError(f"must be at most {MAX_TEXT} characters")
        return _trimmed(value)

    def view(self) -> dict[str, JsonValue]:
        """The date as plans compare it (:func:`reconcile.model.fields.date_view`'s shape)."""
        view: dict[str, JsonValue] = {"date": self.date}
        if self.recurring not in (None, False):
            view["recurring"] = self.recurring
        for name in DATE_TEXT_FIELDS:
            if getattr(self, name) is not None:
                view[name] = getattr(self, name)
        if self.meta:
            view["meta"] = self.meta
        return view


def _comms_fields() -> dict[str, Any]:
    fields: dict[str, Any] = {name: (StrictBool | None, None) for name in COMMS_FLAGS}
    verification = Literal["sent", "not_sent", "verified"] | None
    fields.update({name: (verification, None) for name in COMMS_VERIFICATIONS})
    fields.update({name: (str | None, None) for name in COMMS_OTHER})
    return fields


# One field per flag (built from the tables above) so that a misspelt or mistyped flag is reported
# at its own path, and the JSON schema lists every flag for editor completion.
Comms = create_model("Comms", __base__=Strict, **_comms_fields())


# Comms flags repeat from profile to profile (a few booleans), and a Comms value holds all 61 of
# them: revived profiles declaring the same flags share one frozen value (1.9 KB less each).
_SHARED_COMMS: dict[tuple[tuple[str, Any], ...], Any] = {}


class Attributes(Strict):
    comms: Comms = Field(default_factory=Comms)

    @field_validator("comms", mode="before")
    @classmethod
    def _terms_timestamp(cls, value: Any) -> Any:
        # YAML reads an unquoted date as a date; Omneo stores the text. An ISO timestamp is
        # compared in the form a tenant's is read in (model/forms.py), whichever it shows.
        terms = value.get("terms_accepted_at") if isinstance(value, dict) else None
        if isinstance(terms, date):
            return {**value, "terms_accepted_at": normalize.normalize_timestamp(terms)}
        if isinstance(terms, str):
            field = "attributes.comms.terms_accepted_at"
            return {**value, "terms_accepted_at": forms.timestamp_or_text(terms, field)}
        return value


def shared_comms(comms: Any) -> Any:
    """The one frozen Comms value declaring exactly these flags."""
    declared = tuple(sorted(comms.model_dump(exclude_unset=True).items()))
    return _SHARED_COMMS.setdefault(declared, comms)


def revived_comms(flags: dict[str, Any]) -> Any:
    """The shared Comms value for flags read back from the loader's cache."""
    found = _SHARED_COMMS.get(tuple(sorted(flags.items())))
    return found if found is not None else shared_comms(Comms.revived(flags))
