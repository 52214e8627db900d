"""Phone numbers as Omneo stores them: the one seam for ``phonenumbers``.

A number phonenumbers refuses comes out as :class:`~reconcile.errors.InvalidValue` (a message in
user terms), never as the library's own exception. The common text (a ``+`` and digits) is parsed
and validated by a fast path: a shorter sequence of the library's own (partly private) functions
that gives the library's own answers (``tests/test_phone_fast_path.py``). It is fenced: a release
of phonenumbers without one of those private functions, or ``RECONCILE_NO_FAST_PATHS=1``
(:mod:`reconcile.fastpaths`), sends every number to the public ``parse`` and ``is_valid_number``.
:mod:`reconcile.model.normalize` re-exports these functions.

>>> normalize_phone("0412 345 678", region="AU")
'+61412345678'
"""

from __future__ import annotations

import re
from typing import Any

import phonenumbers
from phonenumbers import phonenumberutil
from phonenumbers.re_util import re_compile

from reconcile import fastpaths
from reconcile.errors import InvalidValue

_E164 = re.compile(r"^\+[1-9]\d{6,14}$")


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


# The private phonenumbers functions the fast path calls, looked up once: a release that renames
# or drops any of them leaves the fast path off (the version is also bounded in pyproject.toml).
_extract_country_code: Any = getattr(phonenumberutil, "_extract_country_code", None)
_strip_national_prefix: Any = getattr(
    phonenumberutil, "_maybe_strip_national_prefix_carrier_code", None
)
_test_number_length: Any = getattr(phonenumberutil, "_test_number_length", None)
_italian_leading_zeros: Any = getattr(
    phonenumberutil, "_set_italian_leading_zeros_for_phone_number", None
)
_matches: Any = getattr(phonenumberutil, "_is_number_matching_desc", None)
PRIVATE_PARTS_FOUND = None not in (
    _extract_country_code,
    _strip_national_prefix,
    _test_number_length,
    _italian_leading_zeros,
    _matches,
)


def fast() -> bool:
    """Whether the fast path is on: the private functions are there and the switch is not set."""
    return PRIVATE_PARTS_FOUND and fastpaths.enabled()


def parse_phone(value: str, region: str | None) -> phonenumbers.PhoneNumber:
    """``phonenumbers.parse(value, region)``, the same number, at a lower cost for the common
    text: a ``+`` and digits (as declarations and Omneo write phones).

    The library first looks for a number in free text (``tel:`` URIs, extensions, punctuation,
    letters, other scripts' digits: a third of its time on that text alone); a ``+`` and digits
    has none of these, so what remains is its own sequence for an international number: the
    country code, then a national prefix stripped when what is left still has a possible length.
    Any other text, and any number the library refuses, is the library's to parse (and its
    exception to raise). (``tests/test_phone_fast_path.py`` checks it against the library.)
    """
    if not _PLUS_DIGITS.fullmatch(value) or not fast():
        return phonenumbers.parse(value, region)
    country_code, national = _extract_country_code(value[1:])
    if country_code == 0:
        return phonenumbers.parse(value, region)
    number_region = phonenumbers.region_code_for_country_code(country_code)
    if number_region != region:
        metadata = _METADATA.metadata_for_region_or_calling_code(country_code, number_region)
    else:
        metadata = _METADATA.metadata_for_region(number_region.upper(), None)
    if metadata is not None:
        _, stripped, _ = _strip_national_prefix(national, metadata)
        if _test_number_length(stripped, metadata) not in _TOO_SHORT_OR_LOCAL:
            national = stripped
    if not 2 <= len(national) <= 17:  # the library's bounds of a national significant number
        return phonenumbers.parse(value, region)
    parsed = phonenumbers.PhoneNumber()
    parsed.country_code = country_code
    _italian_leading_zeros(national, parsed)
    parsed.national_number = int(national)
    return parsed


def is_valid_number(parsed: phonenumbers.PhoneNumber) -> bool:
    """``phonenumbers.is_valid_number``, same verdict, at a lower cost.

    The library finds a number's type to validate it, twice (once to pick the region among
    those sharing its country code, once for that region), and tries the rarest types first:
    a mobile is matched against ten patterns before the mobile one. Validity only asks whether
    *some* type matches, so this tries mobile and fixed line first and stops at the first hit.
    (``tests/test_phone_fast_path.py`` checks it against the library across every region.)
    """
    if not fast():
        return bool(phonenumbers.is_valid_number(parsed))
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


def is_known_region(region: str) -> bool:
    """Whether ``region`` is a region phonenumbers knows (``AU``, not ``XX``)."""
    return region in phonenumbers.SUPPORTED_REGIONS


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
