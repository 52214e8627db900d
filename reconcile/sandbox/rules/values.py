"""How the sandbox reads and stores values (``docs/validation-rules.md``, "Normalisation").

The sandbox's one seam for ``phonenumbers`` and ``email-validator``. The tool normalises
declarations with its own code; the two are held to the same document by separate tests, so a
wrong rule cannot pass unnoticed by being shared.

>>> email(" Jane.Doe@Example.COM ")
'jane.doe@example.com'
>>> tag(" mobile  app ")
'mobile-app'
>>> timestamp("2023-11-07T05:31:56Z")
'2023-11-07 05:31:56'
>>> phone_details("+61404123123")
(61, '404123123', '0404123123')
>>> calendar_date("2015-03-14T10:00:00")
'2015-03-14'
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import phonenumbers
from email_validator import EmailNotValidError, validate_email

_E164 = re.compile(r"^\+[1-9]\d{6,14}$")
_SPACES = re.compile(r"\s+")


class BadValue(ValueError):
    """A value the API refuses; the caller reports it under the field's documented message."""


def email(value: str) -> str:
    """Trimmed and lower-cased, after a syntax check (no DNS)."""
    candidate = value.strip().lower()
    try:
        validate_email(candidate, check_deliverability=False)
    except EmailNotValidError:
        raise BadValue(value) from None
    return candidate


def e164(value: str) -> str:
    """A valid phone number written in E.164; national formats are refused, not guessed."""
    text = value.strip()
    if not _E164.match(text):
        raise BadValue(value)
    try:
        parsed = phonenumbers.parse(text, None)
    except phonenumbers.NumberParseException:
        raise BadValue(value) from None
    if not phonenumbers.is_valid_number(parsed):
        raise BadValue(value)
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def phone_details(number: str) -> tuple[int, str, str]:
    """Omneo's read-only phone fields: country code, national number, national with prefix."""
    parsed = phonenumbers.parse(number, None)
    national = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL)
    return int(parsed.country_code or 0), str(parsed.national_number), re.sub(r"\D", "", national)


def tag(value: str) -> str:
    """Trimmed; each run of white space becomes one hyphen; case is kept."""
    return _SPACES.sub("-", value.strip())


def text(value: str) -> str:
    return value.strip()


def timestamp(value: str) -> str:
    """``YYYY-MM-DD HH:MM:SS`` from ISO-8601 input (a date alone is midnight); a zone is dropped."""
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise BadValue(value) from None
    return _stamp(moment)


def calendar_date(value: str) -> str:
    """``YYYY-MM-DD`` of a real date (ISO-8601; a date-time keeps its date): 30 February is not."""
    text = value.strip()
    try:
        return date.fromisoformat(text).isoformat()
    except ValueError:
        pass
    try:
        return datetime.fromisoformat(text).date().isoformat()
    except ValueError:
        raise BadValue(value) from None


def now() -> str:
    """The current UTC time as Omneo shows it."""
    return _stamp(datetime.now(UTC))


def _stamp(moment: datetime) -> str:
    # isoformat pads the year to four digits where strftime("%Y") does not (year 999).
    return moment.replace(tzinfo=None).isoformat(sep=" ", timespec="seconds")
