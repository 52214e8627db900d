"""Normalise values the way Omneo stores them, so a diff never shows a change Omneo would not keep.

The one seam for ``phonenumbers`` and ``email-validator``: the loader, the planner and export call
it, and a value either library refuses comes out as :class:`~reconcile.errors.InvalidValue` (a
message in user terms), never as the library's own exception. (The sandbox has its own reading of
values, written from docs/validation-rules.md; each side is tested against that page on its own.)

>>> normalize_email("  Jane.Doe@Example.COM ")
'jane.doe@example.com'
>>> normalize_phone("0412 345 678", region="AU")
'+61412345678'
>>> normalize_tag("mobile app")
'mobile-app'
"""

from __future__ import annotations

import calendar
import re
from datetime import date, datetime

import phonenumbers
from email_validator import EmailNotValidError, validate_email

from reconcile.errors import InvalidValue

_TAG_SPACES = re.compile(r"\s+")
_E164 = re.compile(r"^\+[1-9]\d{6,14}$")
TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M:%S"


def normalize_email(value: str) -> str:
    """Trim and lower-case an email address after checking its syntax (no DNS lookups)."""
    candidate = value.strip().lower()
    try:
        validate_email(candidate, check_deliverability=False)
    except EmailNotValidError as exc:
        raise InvalidValue(f"is not a valid email address ({exc})") from None
    return candidate


def normalize_phone(value: str, *, region: str | None) -> str:
    """Parse a phone number (national numbers need ``region``) and return it in E.164."""
    try:
        parsed = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException:
        hint = (
            ""
            if value.strip().startswith("+")
            else f" (no country code; region {region or 'unset'})"
        )
        raise InvalidValue(f"is not a phone number{hint}") from None
    if not phonenumbers.is_valid_number(parsed):
        raise InvalidValue("is not a valid phone number for its country")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def require_e164(value: str) -> str:
    """Accept only a valid number already written in E.164, as the Omneo API does."""
    if not _E164.match(value):
        raise InvalidValue("must be in E.164 format with country code, e.g. +61412345678")
    return normalize_phone(value, region=None)


def _parse_e164(e164: str) -> phonenumbers.PhoneNumber:
    """phonenumbers' reading of ``e164``; its exception becomes ours here, at the seam."""
    try:
        return phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        raise InvalidValue("is not a phone number in E.164 format, e.g. +61412345678") from None


def phone_parts(e164: str) -> tuple[int, str]:
    """Country calling code and national number of an E.164 phone (Omneo's read-only fields)."""
    parsed = _parse_e164(e164)
    return int(parsed.country_code or 0), str(parsed.national_number)


def national_with_prefix(e164: str) -> str:
    """The national format with its trunk prefix and no spaces, e.g. ``0404123123``."""
    parsed = _parse_e164(e164)
    formatted = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL)
    return re.sub(r"[^\d]", "", formatted)


def normalize_tag(value: str) -> str:
    """Omneo replaces spaces in tags with hyphens and keeps case."""
    return _TAG_SPACES.sub("-", value.strip())


UNKNOWN_NAME = "Unknown"


def normalize_name(value: str) -> str:
    return value.strip()


def normalize_person_name(value: str | None) -> str:
    """A first or last name: trimmed; Omneo stores a missing or empty one as ``Unknown``.

    >>> normalize_person_name("  Jane "), normalize_person_name(None), normalize_person_name(" ")
    ('Jane', 'Unknown', 'Unknown')
    """
    return normalize_name(value or "") or UNKNOWN_NAME


def normalize_optional_text(value: str | None) -> str | None:
    """A title, company or occupation: trimmed; Omneo stores an empty one as null.

    >>> normalize_optional_text(" Dr "), normalize_optional_text("  ")
    ('Dr', None)
    """
    return normalize_name(value or "") or None


def normalize_timestamp(value: str | date | datetime) -> str:
    """Omneo shows timestamps as ``YYYY-MM-DD HH:MM:SS`` without a zone."""
    if isinstance(value, datetime):
        return _timestamp(value)
    if isinstance(value, date):
        return _timestamp(datetime(value.year, value.month, value.day))
    text = value.strip().replace("T", " ").removesuffix("Z")
    for fmt in (TIMESTAMP_FORMAT, "%Y-%m-%d %H:%M", "%Y-%m-%d"):
        try:
            return _timestamp(datetime.strptime(text, fmt))
        except ValueError:
            continue
    try:
        return _timestamp(datetime.fromisoformat(value.strip()))
    except ValueError:
        raise InvalidValue("is not a date-time (use YYYY-MM-DD HH:MM:SS)") from None


def normalize_calendar_date(value: object) -> str:
    """A calendar date as Omneo shows a profile date: ``YYYY-MM-DD``.

    >>> normalize_calendar_date("2015-3-14"), normalize_calendar_date(date(2015, 3, 14))
    ('2015-03-14', '2015-03-14')
    """
    if isinstance(value, datetime):
        raise InvalidValue("is a date-time; a profile date is a day (YYYY-MM-DD)")
    if isinstance(value, date):
        return value.isoformat()
    if not isinstance(value, str):
        raise InvalidValue("is not a date (use YYYY-MM-DD)")
    try:
        return datetime.strptime(value.strip(), "%Y-%m-%d").date().isoformat()
    except ValueError:
        raise InvalidValue("is not a real date (use YYYY-MM-DD)") from None


def _timestamp(moment: datetime) -> str:
    # isoformat pads the year to four digits; strftime("%Y") does not on glibc (year 999 → "999"),
    # which would make a normalised timestamp unreadable the second time round.
    return moment.replace(tzinfo=None).isoformat(sep=" ", timespec="seconds")


def check_birth_date(day: int, month: int, year: int | None) -> None:
    """Day and month (and the year, when given) must form a real date: 31 February is not one.

    Without a year, 29 February is allowed (it exists in leap years).
    """
    last_day = calendar.monthrange(year if year is not None else 2000, month)[1]
    if day > last_day:
        raise InvalidValue(
            f"day {day} does not exist in month {month}" + (f" of {year}" if year else "")
        )


def e164_details(e164: str) -> tuple[int, str, str]:
    """Omneo's read-only phone fields, in one parse: country code, national number, and national
    number with its trunk prefix.

    >>> e164_details("+61404123123")
    (61, '404123123', '0404123123')
    """
    parsed = _parse_e164(e164)
    formatted = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL)
    return (
        int(parsed.country_code or 0),
        str(parsed.national_number),
        re.sub(r"[^\d]", "", formatted),
    )


def mobile_numbers(region: str) -> tuple[str, int] | None:
    """How to spell valid mobiles of ``region``: an E.164 prefix and how many digits follow it.

    The prefix is the region's example mobile without its last digits (at most 6, leaving 3 of
    the national number), so every completion stays in the example's mobile range.

    >>> mobile_numbers("AU")
    ('+61412', 6)
    >>> mobile_numbers("XX") is None
    True
    """
    example = phonenumbers.example_number_for_type(region, phonenumbers.PhoneNumberType.MOBILE)
    if example is None:
        return None
    national = phonenumbers.national_significant_number(example)
    width = min(6, len(national) - 3)
    return f"+{example.country_code}{national[:-width]}", width


def is_mobile(e164: str) -> bool:
    """Whether ``e164`` is a valid number that may be a mobile in its country."""
    parsed = _parse_e164(e164)
    kinds = (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE)
    return phonenumbers.is_valid_number(parsed) and phonenumbers.number_type(parsed) in kinds
