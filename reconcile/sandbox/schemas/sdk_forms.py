"""The SDK style of answers: the same data in the forms the official SDK's types declare.

Omneo's sources disagree on the form of several answers (``docs/sandbox.md``, "Answer styles").
With ``answer_style = "sdk"`` the sandbox answers in the SDK types' forms: custom attributes as
a list of items, every id as text, timestamps in ISO-8601, birth parts and the mobile's country
code as text, ``[]`` (PHP's empty array) for an empty object, and the SDK's extra profile fields.
Only answers change: what a request may send is the same in both styles.

>>> sdk_form({"id": 7, "created_at": "2026-01-02 03:04:05", "meta": {}}, {})
{'id': '7', 'created_at': '2026-01-02T03:04:05.000000Z', 'meta': []}
"""

from __future__ import annotations

import re
from typing import Any

_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")
_TIMESTAMPS = frozenset(("joined_at", "created_at", "updated_at"))
_AS_TEXT = frozenset(("birth_day", "birth_month", "birth_year", "mobile_phone_country"))
# Fields of the SDK's Profile type (its newer versions) that the reference's profile lacks.
SDK_EXTRA_FIELDS: dict[str, Any] = {
    "preferred_staff_id": None,
    "preferred_staff": None,
    "joined_staff_id": None,
    "joined_staff": None,
    "created_by": None,
    "organisations": [],
}


def is_profile(value: dict[str, Any]) -> bool:
    return (
        isinstance(value.get("id"), str) and "full_name" in value and "custom_attributes" in value
    )


def profile_ids(value: Any) -> list[str]:
    """The ids of every profile object in an answer, nested ones included."""
    found: list[str] = []
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if is_profile(item) and isinstance(item.get("id"), str):
                found.append(item["id"])
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return found


def sdk_form(value: Any, customs: dict[str, list[dict[str, Any]]]) -> Any:
    """``value`` in the SDK's forms; ``customs`` holds each profile's custom attribute items."""
    if isinstance(value, list):
        return [sdk_form(item, customs) for item in value]
    if not isinstance(value, dict):
        return value
    if is_profile(value):
        value = {**value, "custom_attributes": customs.get(value["id"], [])}
        value.update(SDK_EXTRA_FIELDS)
    return {key: _field(key, item, customs) for key, item in value.items()}


def _field(key: str, value: Any, customs: dict[str, list[dict[str, Any]]]) -> Any:
    if key == "id" and isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if key in _TIMESTAMPS and isinstance(value, str) and _TIMESTAMP.match(value):
        return value.replace(" ", "T") + ".000000Z"
    if key in _AS_TEXT and isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if value == {}:
        return []
    return sdk_form(value, customs)
