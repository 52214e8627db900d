"""Turn pydantic's validation errors into messages a person editing YAML understands.

>>> error = {"type": "extra_forbidden", "loc": ("emial",), "msg": "...", "input": "x"}
>>> describe(error)
"unknown field (did you mean 'email'?)"
"""

from __future__ import annotations

from typing import Any

from reconcile.model.mask import mask_value
from reconcile.profiles.suggest import did_you_mean, field_names

_PATTERNS = {
    "key": "must be lowercase letters, digits, '.', '_' or '-', starting with a letter or digit",
    "currency": "must be a three-letter ISO 4217 code in capitals, e.g. AUD",
    "avatar_url": "must be an http:// or https:// URL",
    "identities": "an identity handle may hold only letters, digits and _ . : -",
    "dates": "a date's handle may hold only letters, digits and _ : - (no dots)",
}
_TYPES = {
    "string_type": 'must be text; quote it (e.g. "0123") so YAML keeps it exactly',
    "int_type": "must be a whole number",
    "int_parsing": "must be a whole number",
    "int_from_float": "must be a whole number",
    "bool_type": "must be true or false",
    "bool_parsing": "must be true or false",
    "dict_type": "must be a mapping (key: value pairs)",
    "model_type": "must be a mapping (key: value pairs)",
    "model_attributes_type": "must be a mapping (key: value pairs)",
    "list_type": "must be a list",
    "missing": "is required",
    "string_too_short": "must not be empty",
}


def describe(error: Any) -> str:
    """One message for one pydantic error dict; personal data in it is masked."""
    kind = str(error["type"])
    loc = tuple(error["loc"])
    context = error.get("ctx") or {}
    if kind == "extra_forbidden":
        return "unknown field" + did_you_mean(str(loc[-1]), field_names(loc))
    if kind == "string_pattern_mismatch":
        return _PATTERNS.get(str(loc[0]) if loc else "", "has an invalid format")
    if kind == "literal_error":
        return "must be one of: " + str(context.get("expected", "")).replace("'", "")
    if (
        kind in ("greater_than_equal", "less_than_equal")
        and loc
        and str(loc[0]).startswith("birth")
    ):
        return _birth_range(str(loc[0]))
    if kind == "greater_than_equal":
        return f"must be at least {context.get('ge')}"
    if kind == "less_than_equal":
        return f"must be at most {context.get('le')}"
    if kind == "string_too_long":
        return f"must be at most {context.get('max_length')} characters"
    if kind in _TYPES:
        return _TYPES[kind]
    text = str(error["msg"]).removeprefix("Value error, ")
    return _masked(text, loc, error.get("input"))


def _birth_range(field: str) -> str:
    return {
        "birth_day": "must be a day of the month, 1 to 31",
        "birth_month": "must be a month, 1 to 12",
        "birth_year": "must be a four-digit year",
    }[field]


def _masked(text: str, loc: tuple[Any, ...], value: Any) -> str:
    # Messages from validators can quote the value (an email's domain, say): never show PII.
    field = ".".join(str(part) for part in loc)
    if isinstance(value, str) and len(value) > 2 and value in text:
        text = text.replace(value, str(mask_value(field, value)))
    return text
