"""Normalise values the way Omneo stores them, so a diff never shows a change Omneo would not keep.

The seam for ``email-validator`` (and, through :mod:`reconcile.model.phones`, ``phonenumbers``):
the loader, the planner and export call it, and a value either library refuses comes out as
:class:`~reconcile.errors.InvalidValue` (a message in user terms), never as the library's own
exception. (The sandbox has its own reading of values, written from docs/validation-rules.md;
each side is tested against that page on its own.) The common shape of an address is accepted by
a fast path without calling email-validator; ``RECONCILE_NO_FAST_PATHS=1``
(:mod:`reconcile.fastpaths`) sends every address to the library.

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

import email_validator
from email_validator import EmailNotValidError, validate_email

from reconcile import fastpaths
from reconcile.errors import InvalidValue
from reconcile.model.phones import e164_details as e164_details
from reconcile.model.phones import is_known_region as is_known_region
from reconcile.model.phones import is_mobile as is_mobile
from reconcile.model.phones import is_valid_number as is_valid_number
from reconcile.model.phones import mobile_numbers as mobile_numbers
from reconcile.model.phones import national_with_prefix as national_with_prefix
from reconcile.model.phones import normalize_phone as normalize_phone
from reconcile.model.phones import parse_phone as parse_phone
from reconcile.model.phones import phone_parts as phone_parts
from reconcile.model.phones import require_e164 as require_e164

_TAG_SPACES = re.compile(r"\s+")
TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M:%S"


# The common shape of an address, that email-validator accepts whatever its settings: a dot-atom
# of ASCII characters before the @ (RFC 5322 atext), and a domain of at least two letter-digit-
# hyphen labels, none starting or ending with a hyphen, with no "--" at all (so no Punycode and
# none of the "ab--" labels it refuses) and ending with a letter (a top-level domain).
_ATEXT = r"[a-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_PLAIN_EMAIL = re.compile(
    rf"(?P<local>{_ATEXT}(?:\.{_ATEXT})*)@(?P<domain>(?:{_LABEL}\.)+{_LABEL})", re.ASCII
)
_EMAIL_MAX_LENGTH = 254  # RFC 5321, as email-validator counts it
_LOCAL_MAX_LENGTH = 64  # checked by email-validator in strict mode only
_DOMAIN_MAX_LENGTH = 253


def normalize_email(value: str) -> str:
    """Trim and lower-case an email address after checking its syntax (no DNS lookups)."""
    candidate = value.strip().lower()
    if fastpaths.enabled() and _plain_email(candidate):
        return candidate
    try:
        validate_email(candidate, check_deliverability=False)
    except EmailNotValidError as exc:
        raise InvalidValue(
            f"is not a valid email address ({email_reason(exc, candidate)})"
        ) from None
    return candidate


# Domains reserved for examples (RFC 2606) that email-validator (so the loader, and the sandbox)
# accepts: test data may use them and their subdomains. (.test, .invalid, .localhost are
# special-use names that it refuses.)
TEST_EMAIL_DOMAINS = ("example.com", "example.org", "example.net", "a name under .example")


def email_reason(exc: EmailNotValidError, candidate: str) -> str:
    """email-validator's reason, without any part of the address (messages show no PII), and
    for a special-use domain, the domains test data can use instead."""
    reason = str(exc)
    local, _, domain = candidate.rpartition("@")
    for part in sorted({candidate, local, domain}, key=len, reverse=True):
        if len(part) >= 3 and part in reason:
            reason = reason.replace(part, "…")
    if "special-use or reserved name" in reason:
        reason = f"{reason.rstrip('.')}; for test data use {', '.join(TEST_EMAIL_DOMAINS)}"
    return reason


def _plain_email(candidate: str) -> bool:
    """Whether ``candidate`` has the plain shape that email-validator is known to accept.

    Most of email-validator's time goes to shapes a declaration rarely has (Unicode, quoting,
    IDNA); this check is one regular expression (docs/performance.md). It only ever *accepts*:
    anything else goes to email-validator, so the verdict and its message stay the library's. The
    special-use names (``.local``, ``.test``, ...) are the library's own list, read each time;
    a release without that list sends every address to the library.
    (``tests/test_email_fast_path.py`` checks it against email-validator.)
    """
    match = _PLAIN_EMAIL.fullmatch(candidate)
    if match is None or len(candidate) > _EMAIL_MAX_LENGTH:
        return False
    local, domain = match.group("local", "domain")
    if len(local) > _LOCAL_MAX_LENGTH or len(domain) > _DOMAIN_MAX_LENGTH or "--" in domain:
        return False
    if not "a" <= domain[-1] <= "z":
        return False  # every top-level domain ends with a letter
    special_use = getattr(email_validator, "SPECIAL_USE_DOMAIN_NAMES", None)
    if special_use is None:
        return False
    return not any(domain == name or domain.endswith("." + name) for name in special_use)


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
    if day > last_day:  # the message names no part of the date: a birth date is personal data
        declared = "the declared month and year" if year else "the declared month"
        raise InvalidValue(f"this day does not exist in {declared}")
