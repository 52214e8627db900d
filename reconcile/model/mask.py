"""The PII policy (which fields hold personal data) and its masking, so reports show *that*
something changed without showing *what* it is.

>>> mask_value("email", "jane.doe@example.com")
'j***@example.com'
>>> mask_value("mobile_phone", "+61412345678")
'+61 4** *** 678'
>>> mask_value("first_name", "Jane")
'J***'
>>> mask_value("dates.wedding.date", "2015-03-14")
'***'
"""

from __future__ import annotations

from reconcile.errors import InvalidValue
from reconcile.model.fields import JsonValue
from reconcile.model.normalize import phone_parts

MASK = "***"
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
    "dates",  # anniversaries, a partner's birthday: about a person and the people near them
)


def is_pii(path: str) -> bool:
    """Whether a flat-view path holds personal data."""
    return path.startswith(PII_PREFIXES)


def mask_value(field: str, value: JsonValue) -> JsonValue:
    """The value as a report may show it: unchanged if not PII, else masked."""
    if value is None or not is_pii(field):
        return value
    if field.startswith("dates"):  # not even a first letter: a date's parts are short
        return MASK
    if isinstance(value, str) and field.endswith("phone"):
        return _mask_phone(value)
    if isinstance(value, str) and field == "email":
        return _mask_email(value)
    if isinstance(value, str):
        return value[:1] + MASK if value else value
    if isinstance(value, list):
        return f"({len(value)} item{'s' if len(value) != 1 else ''}, masked)"
    return MASK


def _mask_email(value: str) -> str:
    local, _, domain = value.partition("@")
    return f"{local[:1]}{MASK}@{domain}" if domain else value[:1] + MASK


def _mask_phone(value: str) -> str:
    try:
        country, national = phone_parts(value)
    except InvalidValue:  # an unparsable number is masked whole rather than shown
        return MASK
    if len(national) < 5:
        return f"+{country} {MASK}"
    masked = national[0] + "*" * (len(national) - 4) + national[-3:]
    groups = [masked[max(0, end - 3) : end] for end in range(len(masked), 0, -3)]
    return f"+{country} " + " ".join(reversed(groups))
