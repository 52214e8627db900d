"""Check a profile body the way Omneo does, reporting every broken rule at once.

:func:`validate_profile` returns the normalised values of the fields it was given plus the errors
keyed by field path; uniqueness (email, mobile, identities) needs stored data and is checked by the
store inside its write transaction. Messages come from :mod:`reconcile.sandbox.rules.messages`.
"""

from __future__ import annotations

import calendar
import re
from typing import Any

from reconcile.sandbox.rules import values
from reconcile.sandbox.rules.dates import validate_dates
from reconcile.sandbox.rules.errorbag import Errors
from reconcile.sandbox.rules.limits import MAX_STRING, MAX_TAGS, MAX_URL, too_many
from reconcile.sandbox.rules.messages import message
from reconcile.sandbox.rules.nested import (
    custom_attributes,
    validate_addresses,
    validate_comms,
    validate_identities,
)
from reconcile.sandbox.rules.vocabulary import GENDERS, PROFILE_TYPES

STRING_FIELDS = ("first_name", "last_name", "title", "company", "occupation")
INTEGER_FIELDS = ("joined_location_id", "preferred_location_id")
_URL = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.IGNORECASE)
_CURRENCY = re.compile(r"^[A-Z]{3}$")


def validate_profile(body: dict[str, Any], *, creating: bool) -> tuple[dict[str, Any], Errors]:
    """Normalised values of the known fields present in ``body`` and the errors found.

    Unknown and read-only fields are ignored, as the Omneo API (a Laravel app) ignores them.
    """
    clean: dict[str, Any] = {}
    errors = Errors()
    _email(body, clean, errors, creating=creating)
    for name in STRING_FIELDS:
        if name in body:
            clean[name] = _string(name, body[name], errors)
    for name in ("mobile_phone", "secondary_phone"):
        if name in body:
            clean[name] = _phone(name, body[name], errors)
    _birth(body, clean, errors)
    _enums(body, clean, errors)
    _misc_scalars(body, clean, errors)
    if "tags" in body:
        clean["tags"] = _tags(body["tags"], errors)
    if "identities" in body:
        clean["identities"] = validate_identities(body["identities"], errors)
    comms = _comms_input(body)
    if comms is not None:
        clean["comms"] = validate_comms(comms, errors)
    if "custom_attributes" in body:
        clean["custom_attributes"] = custom_attributes(body["custom_attributes"], errors)
    if "addresses" in body:
        clean["addresses"] = validate_addresses(body["addresses"], errors)
    if "dates_attributes" in body:
        clean["dates"] = validate_dates(body["dates_attributes"], errors)
    return clean, errors


INLINE_PARTS = ("comms_attributes", "custom_attributes", "addresses")


def without_inline_parts(body: dict[str, Any]) -> dict[str, Any]:
    """``body`` without the parts a tenant may take only through their own endpoints (comms,
    custom attributes, addresses): what such a tenant reads of a profile write."""
    kept = {name: value for name, value in body.items() if name not in INLINE_PARTS}
    attributes = kept.get("attributes")
    if isinstance(attributes, dict) and "comms" in attributes:
        kept["attributes"] = {k: v for k, v in attributes.items() if k != "comms"}
    return kept


def _email(body: dict[str, Any], clean: dict[str, Any], errors: Errors, *, creating: bool) -> None:
    if "email" not in body and not creating:
        return
    value = body.get("email")
    if value is None or (isinstance(value, str) and not value.strip()):
        errors.add("email", message("email", "required"))
    elif not isinstance(value, str):
        errors.add("email", message("email", "email"))
    elif len(value.strip()) > 255:
        errors.add("email", message("email", "max:255"))
    else:
        try:
            clean["email"] = values.email(value)
        except values.BadValue:
            errors.add("email", message("email", "email"))


def _string(name: str, value: Any, errors: Errors) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        errors.add(name, message(name, "string"))
        return None
    if len(value) > MAX_STRING:
        errors.add(name, message(name, "max:255"))
        return None
    return values.text(value) or None


def _phone(name: str, value: Any, errors: Errors) -> str | None:
    if value is None or value == "":
        return None
    try:
        if not isinstance(value, str):
            raise values.BadValue(value)
        return values.e164(value)
    except values.BadValue:
        errors.add(name, message(name, "e164"))
        return None


def _as_int(value: Any) -> int | None:
    """An integer, a numeric string, or a whole number written as a float (``24.0``): Laravel's
    ``integer`` rule accepts all three (JSON Schema too calls 24.0 an integer)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def _birth(body: dict[str, Any], clean: dict[str, Any], errors: Errors) -> None:
    ranges = {
        "birth_day": (1, 31, "between:1,31"),
        "birth_month": (1, 12, "between:1,12"),
        "birth_year": (1000, 9999, "digits:4"),
    }
    for name, (low, high, rule) in ranges.items():
        if name not in body:
            continue
        if body[name] is None or body[name] == "":
            clean[name] = None
            continue
        number = _as_int(body[name])
        if number is None or not low <= number <= high:
            errors.add(name, message(name, rule))
        else:
            clean[name] = number


def birth_date_errors(values: dict[str, Any], errors: Errors) -> None:
    """Day and month (and year when given) must form a real date: 31 February is rejected."""
    day, month, year = values.get("birth_day"), values.get("birth_month"), values.get("birth_year")
    if day is None or month is None:
        return
    days_in_month = calendar.monthrange(year if year is not None else 2000, month)[1]
    if day > days_in_month:
        errors.add("birth_day", message("birth_day", "real date"))


def _enums(body: dict[str, Any], clean: dict[str, Any], errors: Errors) -> None:
    if "gender" in body:
        gender = body["gender"]
        if gender is None or gender == "":
            clean["gender"] = None
        elif isinstance(gender, str) and gender.lower() in GENDERS:
            clean["gender"] = gender.lower()
        else:
            errors.add("gender", message("gender", "in:male,female,withheld,other"))
    if "profile_type" in body:
        kind = body["profile_type"]
        if isinstance(kind, str) and kind in PROFILE_TYPES:
            clean["profile_type"] = kind
        else:
            rule = "in:" + ",".join(PROFILE_TYPES)
            errors.add("profile_type", message("profile_type", rule))


def _misc_scalars(body: dict[str, Any], clean: dict[str, Any], errors: Errors) -> None:
    if "currency" in body:
        currency = body["currency"]
        if currency is None or (isinstance(currency, str) and _CURRENCY.match(currency)):
            clean["currency"] = currency
        else:
            errors.add("currency", message("currency", "ISO 4217"))
    if "joined_at" in body:
        joined = body["joined_at"]
        try:
            if joined is not None and not isinstance(joined, str):
                raise values.BadValue(joined)
            clean["joined_at"] = None if joined is None else values.timestamp(joined)
        except values.BadValue:
            errors.add("joined_at", message("joined_at", "date"))
    if "avatar_url" in body:
        url = body["avatar_url"]
        if isinstance(url, str) and len(url) > MAX_URL:
            errors.add("avatar_url", message("avatar_url", "max:2048"))
        elif url is None or (isinstance(url, str) and _URL.match(url)):
            clean["avatar_url"] = url
        else:
            errors.add("avatar_url", message("avatar_url", "url"))
    for name in INTEGER_FIELDS:
        if name in body:
            number = _as_int(body[name])
            if body[name] is not None and number is None:
                errors.add(name, message(name, "integer"))
            clean[name] = number


def _tags(value: Any, errors: Errors) -> list[str]:
    if not isinstance(value, list):
        errors.add("tags", message("tags", "array"))
        return []
    if too_many(value, "tags", MAX_TAGS, errors):
        return []
    tags: dict[str, None] = {}  # insertion-ordered set: de-duplication stays linear
    for index, tag in enumerate(value):
        if not isinstance(tag, str) or not tag.strip():
            errors.add(f"tags.{index}", message("tags.*", "string", index))
        elif len(tag) > MAX_STRING:
            errors.add(f"tags.{index}", message("tags.*", "max:255", index))
        else:
            tags[values.tag(tag)] = None
    return list(tags)


def _comms_input(body: dict[str, Any]) -> Any:
    if "comms_attributes" in body:  # the batch endpoint's spelling
        return body["comms_attributes"]
    attributes = body.get("attributes")
    if isinstance(attributes, dict) and "comms" in attributes:
        return attributes["comms"]
    return None
