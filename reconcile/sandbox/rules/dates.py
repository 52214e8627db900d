"""Profile dates (``attributes.dates``): check their inputs, Laravel style, every error at once.

An input is ``{date, is_recurring?, meta?, type?, recurring_schedule?, name?, handle?,
relationship?, description?, note?}``; only ``date`` is required. Inline in a profile body they are
the list ``dates_attributes`` (errors under ``dates_attributes.N.field``); the sub-resource
``PUT /profiles/{id}/attributes/dates`` takes one input (errors under the bare field name).

>>> errors = Errors()
>>> validate_date({"date": "2015-03-14", "handle": "wedding", "id": 7}, errors)
{'date': '2015-03-14', 'handle': 'wedding'}
>>> validate_date({"is_recurring": "yes"}, errors), errors.by_field["date"]
(None, ['The date field is required.'])
"""

from __future__ import annotations

from typing import Any

from reconcile.sandbox.rules import values
from reconcile.sandbox.rules.errorbag import Errors
from reconcile.sandbox.rules.messages import message
from reconcile.sandbox.rules.vocabulary import DATE_TEXT_FIELDS

PREFIX = "dates_attributes"
MAX_TEXT = 255


def validate_dates(value: Any, errors: Errors) -> list[dict[str, Any]]:
    """The clean inputs of a ``dates_attributes`` list, applied later in their order."""
    if not isinstance(value, list):
        errors.add(PREFIX, message(PREFIX, "array"))
        return []
    found = []
    for index, item in enumerate(value):
        clean = validate_date(item if isinstance(item, dict) else {}, errors, index)
        if clean is not None:
            found.append(clean)
    return found


def validate_date(
    item: dict[str, Any], errors: Errors, index: int | None = None
) -> dict[str, Any] | None:
    """One input's given fields, cleaned; None when it breaks a rule (the errors say which)."""
    before = len(errors.by_field)
    clean: dict[str, Any] = {}
    _date(item.get("date"), clean, errors, index)
    if "is_recurring" in item:
        if isinstance(item["is_recurring"], bool):
            clean["is_recurring"] = item["is_recurring"]
        else:
            _fail("is_recurring", "boolean", errors, index)
    if "meta" in item:
        if item["meta"] is None or isinstance(item["meta"], dict):
            clean["meta"] = item["meta"]
        else:
            _fail("meta", "object", errors, index)
    for name in DATE_TEXT_FIELDS:
        if name in item:
            clean[name] = _text(name, item[name], errors, index)
    return clean if len(errors.by_field) == before else None


def _date(value: Any, clean: dict[str, Any], errors: Errors, index: int | None) -> None:
    if value is None or (isinstance(value, str) and not value.strip()):
        _fail("date", "required", errors, index)
        return
    try:
        if not isinstance(value, str):
            raise values.BadValue(value)
        clean["date"] = values.calendar_date(value)
    except values.BadValue:
        _fail("date", "date", errors, index)


def _text(name: str, value: Any, errors: Errors, index: int | None) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        _fail(name, "string", errors, index)
    elif len(value) > MAX_TEXT:
        _fail(name, f"max:{MAX_TEXT}", errors, index)
    else:
        return values.text(value) or None
    return None


def _fail(name: str, rule: str, errors: Errors, index: int | None) -> None:
    text = message(f"{PREFIX}.*.{name}", rule, 0 if index is None else index)
    if index is None:  # the sub-resource: Laravel names a top-level field in words
        errors.add(name, text.replace(f"{PREFIX}.0.{name}", name.replace("_", " ")))
    else:
        errors.add(f"{PREFIX}.{index}.{name}", text)
