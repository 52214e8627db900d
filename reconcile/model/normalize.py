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

import email_validator
import phonenumbers
from email_validator import EmailNotValidError, validate_email
from phonenumbers import phonenumberutil
from phonenumbers.re_util import re_compile

from reconcile.errors import InvalidValue

_TAG_SPACES = re.compile(r"\s+")
_E164 = re.compile(r"^\+[1-9]\d{6,14}$")
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
    if _plain_email(candidate):
        return candidate
    try:
        validate_email(candidate, check_deliverability=False)
    except EmailNotValidError as exc:
        raise InvalidValue(f"is not a valid email address ({exc})") from None
    return candidate


def _plain_email(candidate: str) -> bool:
    """Whether ``candidate`` has the plain shape that email-validator is known to accept.

    email-validator costs about 30 µs an address, most of it for shapes a declaration rarely
    has (Unicode, quoting, IDNA); this check costs about 1. It only ever *accepts*: anything
    else goes to email-validator, so the verdict and its message stay the library's. The
    special-use names (``.local``, ``.test``, ...) are the library's own list, read each time.
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
    return not any(
        domain == name or domain.endswith("." + name)
        for name in email_validator.SPECIAL_USE_DOMAIN_NAMES
    )


def normalize_phone(value: str, *, region: str | None) -> str:
    """Parse a phone number (national numbers need ``region``) and return it in E.164."""
    try:
        parsed = parse_phone(value, region)
    except phonenumbers.NumberParseException:
        hint = (
            ""
            if value.strip().startswith("+")
            else f" (no country code; region {region or 'unset'})"
        )
        raise InvalidValue(f"is not a phone number{hint}") from None
    if not is_valid_number(parsed):
        raise InvalidValue("is not a valid phone number for its country")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


_PLUS_DIGITS = re.compile(r"\+[1-9][0-9]{2,16}", re.ASCII)
_TOO_SHORT_OR_LOCAL = (
    phonenumberutil.ValidationResult.TOO_SHORT,
    phonenumberutil.ValidationResult.IS_POSSIBLE_LOCAL_ONLY,
    phonenumberutil.ValidationResult.INVALID_LENGTH,
)


def parse_phone(value: str, region: str | None) -> phonenumbers.PhoneNumber:
    """``phonenumbers.parse(value, region)``, the same number, at half the cost for the common text:
    a ``+`` and digits (as declarations and Omneo write phones).

    The library first looks for a number in free text (``tel:`` URIs, extensions, punctuation,
    letters, other scripts' digits: a third of its time on that text alone); a ``+`` and digits
    has none of these, so what remains is its own sequence for an international number: the
    country code, then a national prefix stripped when what is left still has a possible length.
    Any other text, and any number the library refuses, is the library's to parse (and its
    exception to raise). (``tests/test_phone_fast_path.py`` checks it against the library.)
    """
    if not _PLUS_DIGITS.fullmatch(value):
        return phonenumbers.parse(value, region)
    country_code, national = phonenumberutil._extract_country_code(value[1:])
    if country_code == 0:
        return phonenumbers.parse(value, region)
    number_region = phonenumbers.region_code_for_country_code(country_code)
    if number_region != region:
        metadata = _METADATA.metadata_for_region_or_calling_code(country_code, number_region)
    else:
        metadata = _METADATA.metadata_for_region(number_region.upper(), None)
    if metadata is not None:
        _, stripped, _ = phonenumberutil._maybe_strip_national_prefix_carrier_code(
            national, metadata
        )
        if phonenumberutil._test_number_length(stripped, metadata) not in _TOO_SHORT_OR_LOCAL:
            national = stripped
    if not 2 <= len(national) <= 17:  # the library's bounds of a national significant number
        return phonenumbers.parse(value, region)
    parsed = phonenumbers.PhoneNumber()
    parsed.country_code = country_code
    phonenumberutil._set_italian_leading_zeros_for_phone_number(national, parsed)
    parsed.national_number = int(national)
    return parsed


def is_valid_number(parsed: phonenumbers.PhoneNumber) -> bool:
    """``phonenumbers.is_valid_number``, same verdict, at a third of the cost.

    The library finds a number's type to validate it, twice (once to pick the region among
    those sharing its country code, once for that region), and tries the rarest types first:
    a mobile is matched against ten patterns before the mobile one. Validity only asks whether
    *some* type matches, so this tries mobile and fixed line first and stops at the first hit.
    (``tests/test_phone_fast_path.py`` checks it against the library across every region.)
    """
    country_code = parsed.country_code
    regions = phonenumberutil.COUNTRY_CODE_TO_REGION_CODE.get(country_code or 0)
    if country_code is None or regions is None:
        return False
    national = phonenumberutil.national_significant_number(parsed)
    region, typed = (regions[0], False) if len(regions) == 1 else _region_of(national, regions)
    if region is None:
        return False
    # as phonenumbers' is_valid_number_for_region
    metadata = _METADATA.metadata_for_region_or_calling_code(country_code, region.upper())
    if metadata is None or (
        region != phonenumbers.REGION_CODE_FOR_NON_GEO_ENTITY
        and country_code != phonenumbers.country_code_for_valid_region(region)
    ):
        return False
    # A region picked for having a type was checked against this very metadata already.
    return typed or _has_a_type(national, metadata)


def _region_of(national: str, regions: tuple[str, ...]) -> tuple[str | None, bool]:
    """As phonenumbers' region_code_for_number among regions sharing a country code: the first
    whose leading digits match, or that gives the number a type (then ``True``)."""
    for region in regions:
        metadata = _METADATA.metadata_for_region(region.upper(), None)
        if metadata is None:
            continue
        if metadata.leading_digits is not None:
            if re_compile(metadata.leading_digits).match(national):
                return region, False
        elif _has_a_type(national, metadata):
            return region, True
    return None, False


_METADATA = phonenumbers.PhoneMetadata
_matches = phonenumberutil._is_number_matching_desc


def _has_a_type(national: str, metadata: phonenumbers.PhoneMetadata) -> bool:
    """Whether phonenumbers' ``_number_type_helper`` would not answer UNKNOWN, mobile first."""
    if not _matches(national, metadata.general_desc):
        return False
    # The helper tries mobile only when its pattern differs from the fixed line's (else a fixed
    # line match answers FIXED_LINE_OR_MOBILE): with the same pattern, mobile adds nothing.
    if not metadata.same_mobile_and_fixed_line_pattern and _matches(national, metadata.mobile):
        return True
    return any(
        _matches(national, desc)
        for desc in (
            metadata.fixed_line,
            metadata.premium_rate,
            metadata.toll_free,
            metadata.shared_cost,
            metadata.voip,
            metadata.personal_number,
            metadata.pager,
            metadata.uan,
            metadata.voicemail,
        )
    )


def require_e164(value: str) -> str:
    """Accept only a valid number already written in E.164, as the Omneo API does."""
    if not _E164.match(value):
        raise InvalidValue("must be in E.164 format with country code, e.g. +61412345678")
    return normalize_phone(value, region=None)


def _parse_e164(e164: str) -> phonenumbers.PhoneNumber:
    """phonenumbers' reading of ``e164``; its exception becomes ours here, at the seam."""
    try:
        return parse_phone(e164, None)
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
    return is_valid_number(parsed) and phonenumbers.number_type(parsed) in kinds
