"""``phones.parse_phone`` and ``phones.is_valid_number`` are phonenumbers' ``parse`` and
``is_valid_number``, always.

Numbers from every region and non-geographic code, of every type, and near misses of them (a
digit changed, added or dropped, a trunk prefix written after the country code), are checked both
ways; so is ``normalize_phone`` against the library's own call sequence, as it was before. Each
test runs with the fast path and without it (``RECONCILE_NO_FAST_PATHS=1``: the ``fast_paths``
fixture); a sample of the inputs is enough for the second run, where both sides are the library.
"""

from __future__ import annotations

import importlib
import random

import phonenumbers
import pytest
from phonenumbers import phonenumberutil

from reconcile.errors import InvalidValue
from reconcile.model import phones
from reconcile.model.phones import is_valid_number, normalize_phone, parse_phone


def _examples() -> list[phonenumbers.PhoneNumber]:
    examples = []
    for region in sorted(phonenumbers.SUPPORTED_REGIONS):
        for kind in range(12):  # every PhoneNumberType but UNKNOWN
            if (example := phonenumbers.example_number_for_type(region, kind)) is not None:
                examples.append(example)
    for code in sorted(phonenumbers.COUNTRY_CODES_FOR_NON_GEO_REGIONS):
        if (example := phonenumbers.example_number_for_non_geo_entity(code)) is not None:
            examples.append(example)
    return examples


def _spellings(rng: random.Random) -> list[str]:
    """E.164 and near-E.164 texts around every example number."""
    texts = []
    for example in _examples():
        code, national = example.country_code, phonenumbers.national_significant_number(example)
        texts += [f"+{code}{national}", f"+{code}0{national}", f"+{code}{national}0"]
        texts += [f"+{code}{national[:-1]}", f"+{code}{national[1:]}", f"{national}"]
        for _ in range(2):
            at = rng.randrange(len(national))
            texts.append(f"+{code}{national[:at]}{rng.randrange(10)}{national[at + 1 :]}")
        texts.append(f"+{code}{rng.randrange(10**6, 10**12)}")
        texts += [f"+{code}", f"+{code}1", f"+{code}00{national}", f"+{code} {national}"]
        texts += [f"+{code}{national}{national}", f"+{code}{code}{national}"]
    for _ in range(2000):  # a plus and any digits
        texts.append("+" + "".join(str(rng.randrange(10)) for _ in range(rng.randint(1, 20))))
    return texts


def _outcome(value: str, region: str | None) -> tuple[str, str]:
    try:
        return "accepted", normalize_phone(value, region=region)
    except InvalidValue as exc:
        return "refused", str(exc)


def _parsed(parse: object, value: str, region: str | None) -> object:
    try:
        return parse(value, region)  # type: ignore[operator]
    except phonenumbers.NumberParseException as exc:
        return ("refused", exc.error_type, str(exc))


def _before(value: str, region: str | None) -> tuple[str, str]:
    """normalize_phone as it was: phonenumbers' own parse and is_valid_number."""
    try:
        parsed = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException:
        unset = region or "unset"
        hint = "" if value.strip().startswith("+") else f" (no country code; region {unset})"
        return "refused", f"is not a phone number{hint}"
    if not phonenumbers.is_valid_number(parsed):
        return "refused", "is not a valid phone number for its country"
    return "accepted", phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def test_every_example_number_and_its_near_misses_get_the_librarys_verdict(
    fast_paths: bool,
) -> None:
    rng = random.Random(14)
    step = 1 if fast_paths else 10
    texts = _spellings(rng)[::step]
    valid = 0
    for text in texts:
        for region in (None, "AU") if text.startswith("+") else ("AU", "GB"):
            expected_parse = _parsed(phonenumbers.parse, text, region)
            assert _parsed(parse_phone, text, region) == expected_parse, (text, region)
            assert _outcome(text, region) == _before(text, region), (text, region)
            try:
                parsed = phonenumbers.parse(text, region)
            except phonenumbers.NumberParseException:
                continue
            expected = phonenumbers.is_valid_number(parsed)
            assert is_valid_number(parsed) == expected, (text, region)
            valid += expected
    assert len(texts) > 10_000 // step and valid > 3_000 // step
    assert phones.fast() == fast_paths


def test_random_digits_under_every_country_code_get_the_librarys_verdict(
    fast_paths: bool,
) -> None:
    rng = random.Random(16)
    codes = sorted(phonenumbers.COUNTRY_CODE_TO_REGION_CODE)
    for _ in range(20_000 if fast_paths else 2_000):
        number = phonenumbers.PhoneNumber(
            country_code=rng.choice(codes), national_number=rng.randrange(10 ** rng.randint(3, 14))
        )
        if rng.random() < 0.1:
            number.italian_leading_zero = True
            number.number_of_leading_zeros = rng.choice([None, 1, 2])
        assert is_valid_number(number) == phonenumbers.is_valid_number(number), number
    unknown = phonenumbers.PhoneNumber(country_code=999, national_number=412345678)
    assert not is_valid_number(unknown) and not phonenumbers.is_valid_number(unknown)


@pytest.mark.parametrize(
    "name",
    [
        "_extract_country_code",
        "_maybe_strip_national_prefix_carrier_code",
        "_test_number_length",
        "_set_italian_leading_zeros_for_phone_number",
        "_is_number_matching_desc",
    ],
)
def test_a_phonenumbers_release_without_a_private_function_gets_the_public_api(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    texts = ["+61412345678", "+390612345678", "+4420 7946 0958", "+6141234567", "0412 345 678"]
    try:
        with monkeypatch.context() as patch:
            patch.delattr(phonenumberutil, name)
            importlib.reload(phones)  # imported against a release without it
        # (The library's own functions call it, so it is back for the checks.)
        assert not phones.PRIVATE_PARTS_FOUND and not phones.fast()
        for text in texts:
            assert _parsed(parse_phone, text, "AU") == _parsed(phonenumbers.parse, text, "AU")
            assert _outcome(text, "AU") == _before(text, "AU")
            parsed = phonenumbers.parse(text, "AU")
            assert is_valid_number(parsed) == phonenumbers.is_valid_number(parsed)
    finally:
        importlib.reload(phones)
    assert phones.PRIVATE_PARTS_FOUND
