"""Turn pydantic's validation errors into messages a person editing YAML understands.

>>> error = {"type": "extra_forbidden", "loc": ("emial",), "msg": "...", "input": "x"}
>>> describe(error)
"unknown field (did you mean 'email'?)"
"""

from __future__ import annotations

import unicodedata
from typing import Any

from reconcile.model.mask import mask_value
from reconcile.profiles.suggest import did_you_mean, field_names

_PATTERNS = {
    "key": "must be lowercase letters, digits, '.', '_' or '-', starting with a letter or digit, "
    "with no '..'",
    "previous_keys": "must be lowercase letters, digits, '.', '_' or '-', starting with a letter "
    "or digit, with no '..'",
    "currency": "must be a three-letter ISO 4217 code in capitals, e.g. AUD",
    "avatar_url": "must be an http:// or https:// URL",
    "identities": "an identity handle may hold only letters, digits, _ and -, and single dots "
    "between them (it is part of API paths)",
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


def field_path(loc: tuple[Any, ...]) -> str:
    r"""The field path a problem names, with characters that print as nothing (controls, bidi and
    zero-width ones) shown escaped, so a name in a file cannot disguise or reorder the message.

    >>> field_path(("custom_attributes", "ns", "a\u202eb", "[key]"))
    'custom_attributes.ns.a\\u202eb'
    """
    return printable(".".join(str(part) for part in loc if part != "[key]"))


def printable(text: str) -> str:
    """``text`` with characters that print as nothing shown escaped (a key, a field path)."""
    if text.isascii() and text.isprintable():
        return text
    return "".join(_escaped(character) for character in text)


def _escaped(character: str) -> str:
    if unicodedata.category(character) in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"):
        return f"\\u{ord(character):04x}"
    return character


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
