"""The rules for the forms a tenant's values may come in, and what to say when one cannot be read.

A real tenant may answer in any form the sources describe (``docs/tenant-compatibility.md``):
ids as numbers or text, numbers as text, timestamps with a ``T`` and a zone or without,
PHP's ``[]`` for an empty object. These rules read each to one value; a value no rule reads is
described, masked, for the one conflict that names it.

>>> text_id(7), text_id("idt-7"), text_id(True)
('7', 'idt-7', None)
>>> timestamp("2020-05-01T10:00:00.000000Z"), timestamp("2020-05-01 10:00:00")
('2020-05-01 10:00:00', '2020-05-01 10:00:00')
>>> received("email", "jane@example.com"), received("custom_attributes", 42)
('text "j***@example.com"', 'a number (42)')
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from reconcile.errors import UnreadableAnswer
from reconcile.model.fields import JsonValue
from reconcile.model.mask import MASK, is_pii, mask_value

_SHOWN = 40  # characters of a received text a conflict shows, at most


def text_id(value: Any) -> str | None:
    """An id as opaque text: a number or a non-empty text; ``None`` for anything else."""
    kind = type(value)
    if kind is str:
        return value if value else None
    return str(value) if kind is int else None


def id_order(ident: str) -> tuple[int, int, str]:
    """Oldest first: numeric ids by their number, then text ids by their text."""
    return (0, int(ident), "") if ident.isdecimal() else (1, 0, ident)


def number(field: str, value: Any) -> int:
    """An integer, or the text of one (Omneo's examples render birth parts as ``"1"``)."""
    if type(value) is int:
        return value
    if type(value) is str and value.isdecimal():
        return int(value)
    raise unreadable(field, value)


def timestamp(value: Any, field: str = "joined_at") -> str:
    """A timestamp in the one form both sides compare: ``YYYY-MM-DD HH:MM:SS``.

    Omneo shows ``2020-05-01 10:00:00``; its batch example sends ISO-8601 (``…T…Z``, ``+00:00``,
    fractions of a second). Like the write (docs/validation-rules.md), a zone is dropped.
    """
    if type(value) is not str:
        raise unreadable(field, value)
    if len(value) == 19 and value[10] == " " and value[4] == "-":
        return value  # the form Omneo shows
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise unreadable(field, value) from None
    return moment.replace(tzinfo=None).isoformat(sep=" ", timespec="seconds")


def timestamp_or_text(value: Any, field: str) -> Any:
    """A text that reads as an ISO timestamp, in the compared form; any other value as it is."""
    if type(value) is str and len(value) > 19 and value[10] == "T":
        try:
            return timestamp(value, field)
        except UnreadableAnswer:
            return value
    return value


def is_empty(value: Any) -> bool:
    """Nothing there: null, or an empty object in either form (``{}``, or PHP's ``[]``)."""
    return value is None or value == {} or value == []


def mapping(field: str, value: Any) -> dict[str, Any]:
    """An object; null and ``[]`` (PHP's empty object) are an empty one."""
    if type(value) is dict:
        return value
    if is_empty(value):
        return {}
    raise unreadable(field, value)


def items(field: str, value: Any) -> list[Any]:
    """A list; null and ``{}`` are an empty one."""
    if type(value) is list:
        return value
    if is_empty(value):
        return []
    raise unreadable(field, value)


def unreadable(field: str, value: Any) -> UnreadableAnswer:
    return UnreadableAnswer(field, received(field, value))


def received(field: str, value: Any) -> str:
    """What came, in a few words and masked as reports mask the field: one line, always."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return f"a number ({MASK if is_pii(field) else value})"
    if isinstance(value, str):
        shown = mask_value(field, value) if is_pii(field) else value
        text = str(shown)
        text = text if len(text) <= _SHOWN else text[:_SHOWN] + "…"
        return f"text {json.dumps(text, ensure_ascii=False)}"
    if isinstance(value, list):
        return f"a list of {len(value)} item{'s' if len(value) != 1 else ''}"
    if isinstance(value, dict):
        return f"an object of {len(value)} key{'s' if len(value) != 1 else ''}"
    return "a value of an unknown kind"


JsonObject = dict[str, JsonValue]
