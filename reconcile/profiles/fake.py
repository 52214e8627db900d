"""Fake people for seed templates: the one seam for ``faker``.

A template (``*.yaml.j2``) sees ``fake``, a :class:`FakeData`. ``fake.person(n)`` is person number
``n``: a name, an email at a reserved domain, a valid mobile, a birthday, a company and an
address, in a chosen locale. The same template path, ``n``, locale, domain and seed always give
the same person, byte for byte: nothing depends on the clock, other variables or the order of
calls, so growing ``count`` keeps the people already declared.

Templates get small frozen records of plain strings and numbers, never the Faker instance: no
attribute of what a template can reach leads to files, the environment or Python internals
(the template sandbox also allows only these records' own fields, see ``templates.py``).

>>> p = FakeData("customers/seed.yaml.j2").person(7, "de_DE")
>>> p.email.endswith("7@example.com"), p.mobile_phone.startswith("+49"), p.address.iso
(True, True, 'DE')
>>> p == FakeData("customers/seed.yaml.j2").person(7, "de_DE")
True
"""

from __future__ import annotations

import hashlib
import re
import threading
from dataclasses import dataclass
from datetime import date
from functools import cache, lru_cache
from importlib import metadata
from typing import TYPE_CHECKING, Any

from reconcile.errors import FakeDataError, InvalidValue
from reconcile.model.ascii import transliterate
from reconcile.model.normalize import TEST_EMAIL_DOMAINS, is_mobile, mobile_numbers, normalize_email

if TYPE_CHECKING:
    from faker import Faker

GENERATOR_VERSION = "1"
DEFAULT_LOCALE = "en_AU"
DEFAULT_DOMAIN = "example.com"
# Domains reserved for examples (RFC 2606), which can never reach a real mailbox, and which the
# loader (and the sandbox) accept: .test, .invalid and .localhost are reserved too, but they are
# special-use names that email addresses refuse (docs/validation-rules.md), so they are not offered.
RESERVED_DOMAINS = ("example.com", "example.org", "example.net")
RESERVED_SUFFIXES = (".example", ".example.com", ".example.org", ".example.net")
_SPECIAL_USE = ("test", "invalid", "localhost", "local", "onion", "arpa")
_BIRTH_RANGE = (date(1940, 1, 1), date(2006, 12, 31))  # fixed: no clock, so no drift by date
# Mobile digits are a bijection of n (an odd multiplier not divisible by 5 is invertible
# modulo 10^k): two people of one region never share a mobile, in one template or across
# templates, as long as their numbers differ.
_MOBILE_MULTIPLIER = 7919
_MOBILE_OFFSET = 104_729
_LOCK = threading.Lock()  # a Faker instance holds its random state: one person at a time


@dataclass(frozen=True, slots=True)
class FakeAddress:
    """An address in Omneo's names (every field its address rules require)."""

    address_line_1: str
    city: str
    state: str
    postcode: str
    country: str
    iso: str


@dataclass(frozen=True, slots=True)
class FakePerson:
    """One fake person; ``birth_date`` is ``YYYY-MM-DD``, ``gender`` ``female`` or ``male``."""

    number: int
    locale: str
    gender: str
    first_name: str
    last_name: str
    email: str
    mobile_phone: str
    birth_day: int
    birth_month: int
    birth_year: int
    birth_date: str
    company: str
    address: FakeAddress


# What a template may read on each record: the sandbox refuses every other attribute.
TEMPLATE_ATTRIBUTES: dict[type, frozenset[str]] = {
    FakeAddress: frozenset(FakeAddress.__dataclass_fields__),
    FakePerson: frozenset(FakePerson.__dataclass_fields__),
}


class FakeData:
    """``fake`` in a template: ``fake.person(n, locale="en_AU", domain="example.com", seed="")``.

    ``seed`` is any text (a template variable, say) that gives another set of people.
    """

    __slots__ = ("_template",)

    def __init__(self, template: str) -> None:
        self._template = template

    def __repr__(self) -> str:  # printed in a template: no memory address, the same every run
        return "fake"

    def person(
        self,
        number: int,
        locale: str = DEFAULT_LOCALE,
        domain: str = DEFAULT_DOMAIN,
        seed: str = "",
    ) -> FakePerson:
        if not isinstance(number, int) or isinstance(number, bool) or number < 0:
            raise FakeDataError(f"fake.person({number!r}): the person number must be 0 or more")
        region = _region(locale)
        _check_domain(domain)
        digest = hashlib.sha256(f"{self._template}\0{seed}\0{locale}\0{number}".encode()).digest()
        return _person(int.from_bytes(digest[:8], "big"), number, locale, region, domain.lower())


def _region(locale: str) -> str:
    if not isinstance(locale, str) or locale not in _available_locales():
        raise FakeDataError(f"unknown locale {locale!r}; use one of Faker's, e.g. en_AU, de_DE")
    region = locale.rpartition("_")[2]
    if mobile_numbers(region) is None:
        raise FakeDataError(f"locale {locale!r}: no mobile numbers known for region {region!r}")
    return region


def _check_domain(domain: str) -> None:
    name = domain.lower() if isinstance(domain, str) else ""
    reserved = name in RESERVED_DOMAINS or name.endswith(RESERVED_SUFFIXES)
    if reserved and _loads(f"person@{name}"):
        return
    shown = ", ".join(TEST_EMAIL_DOMAINS)
    why = "is not a valid email domain" if reserved else "may be real"
    if name.rpartition(".")[2] in _SPECIAL_USE:
        why = "is reserved, but email addresses refuse special-use names (so would Omneo)"
    raise FakeDataError(f"domain {domain!r} {why}; fake emails use one of: {shown}")


def _loads(email: str) -> bool:
    """Whether the loader accepts ``email``: a fake person's email always loads."""
    try:
        normalize_email(email)
    except InvalidValue:
        return False
    return True


@lru_cache(maxsize=4096)  # a template may ask for the same person once per field
def _person(seed: int, number: int, locale: str, region: str, domain: str) -> FakePerson:
    with _LOCK:
        faker = _faker(locale)
        faker.seed_instance(seed)
        gender = "female" if faker.random.random() < 0.5 else "male"
        first = str(getattr(faker, f"first_name_{gender}")())
        last = str(_gendered(faker, "last_name", gender))
        born = faker.date_between_dates(*_BIRTH_RANGE)
        company = str(faker.company())
        address = _address(faker, region)
    return FakePerson(
        number=number,
        locale=locale,
        gender=gender,
        first_name=first,
        last_name=last,
        email=f"{_local_part(first, last)}{number}@{domain}",
        mobile_phone=_mobile(region, number),
        birth_day=born.day,
        birth_month=born.month,
        birth_year=born.year,
        birth_date=born.isoformat(),
        company=company,
        address=address,
    )


def _gendered(faker: Faker, name: str, gender: str) -> Any:
    # Some locales (ru_RU, pl_PL, ...) inflect last names by gender.
    try:
        return getattr(faker, f"{name}_{gender}")()
    except AttributeError:
        return getattr(faker, name)()


def _address(faker: Faker, region: str) -> FakeAddress:
    state = _first_of(faker, "administrative_unit", "state", "region", "county")
    city = str(faker.city())
    country = _first_of(faker, "current_country") or region
    return FakeAddress(
        address_line_1=str(faker.street_address()),
        city=city,
        state=state or city,  # a city-state, or a locale without states: Omneo needs one
        postcode=str(faker.postcode()),
        country=country,
        iso=region,
    )


def _first_of(faker: Faker, *names: str) -> str | None:
    for name in names:
        try:
            return str(getattr(faker, name)())
        except (AttributeError, ValueError):
            continue
    return None


def _local_part(first: str, last: str) -> str:
    words = [re.sub(r"[^a-z0-9]+", "-", transliterate(w).lower()).strip("-") for w in (first, last)]
    return ".".join(w for w in words if w) or "person"


def _mobile(region: str, number: int) -> str:
    spelling = mobile_numbers(region)
    assert spelling is not None  # checked by _region
    prefix, width = spelling
    if number >= 10**width:
        raise FakeDataError(f"region {region} has mobiles for person numbers below {10**width:,}")
    digits = (_MOBILE_MULTIPLIER * number + _MOBILE_OFFSET) % 10**width
    mobile = f"{prefix}{digits:0{width}d}"
    if not is_mobile(mobile):  # never seen for any region; a clear error if a new one does it
        raise FakeDataError(f"region {region}: {number} gives no valid mobile; use another locale")
    return mobile


@cache
def _faker(locale: str) -> Faker:
    from faker import Faker  # imported on first use: it costs ~0.2 s, and few runs need it

    return Faker(locale)


@lru_cache(maxsize=1)
def _available_locales() -> frozenset[str]:
    from faker.config import AVAILABLE_LOCALES

    return frozenset(AVAILABLE_LOCALES)


def fake_data_version() -> str:
    """Changes whenever the same call may give another person: part of the loader's digest."""
    return f"{GENERATOR_VERSION}/faker-{metadata.version('faker')}"
