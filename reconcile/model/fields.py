"""The profile's field vocabulary: the names, types and paths both sides of a plan speak.

A *flat view* maps field paths (``email``, ``identities.shopify``, ``attributes.comms.email_promo``,
``custom_attributes.loyalty.tier``) to normalised JSON values; :func:`path` builds those paths.

>>> path("attributes.comms", "email_promo")
'attributes.comms.email_promo'
>>> is_custom_type("integer", 3), is_custom_type("integer", True)
(True, False)
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Mapping
from operator import itemgetter
from typing import TYPE_CHECKING, Any, TypeAlias

if TYPE_CHECKING:
    # A JSON value, recursively: what a flat view, a plan and the API hold; mypy checks it.
    JsonValue: TypeAlias = (
        "str | bool | int | float | list[JsonValue] | dict[str, JsonValue] | None"
    )
else:
    # At run time pydantic takes it as Any: the values come from parsed JSON or validated YAML
    # already, and validating them again as a recursive union costs 6x (an observed profile of
    # 28 fields: 5 us -> 30 us to type, measured with time.perf_counter over 20,000 profiles).
    JsonValue = Any

# Lowercase letters, digits, '.', '_' and '-', starting with a letter or digit, never '..' (a
# key is an identifier in API paths, where '..' climbs a level).
KEY_PATTERN = r"^[a-z0-9](?:[a-z0-9_-]|\.[a-z0-9_-])*\.?$"
# An identity handle: letters, digits, '_', '-', and single dots between them (it is a segment
# of API paths).
IDENTITY_HANDLE_PATTERN = r"^[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*$"
# Omneo's longest values (docs/validation-rules.md): text fields, avatar_url, a custom value.
MAX_TEXT = 255
MAX_URL = 2048
MAX_CUSTOM_VALUE = 65_535
# Omneo's most items a profile holds (docs/validation-rules.md, Limits): over one, a write is a 422.
MAX_TAGS = 100
MAX_IDENTITIES = 20
MAX_CUSTOM_ATTRIBUTES = 100  # in all namespaces together
MAX_ADDRESSES = 20
GENDERS = ("male", "female", "withheld", "other")
PROFILE_TYPES = ("active", "deleted", "dependant", "incomplete", "pending", "system", "temporary")
COMMS_CHANNELS = ("email", "sms", "push", "phone", "post")
COMMS_KINDS = (
    "optout",
    "bounced",
    "promo",
    "discover",
    "benefits",
    "reminders",
    "account",
    "bookings",
    "feedback",
    "location",
    "service",
)
COMMS_FLAGS = tuple(f"{channel}_{kind}" for channel in COMMS_CHANNELS for kind in COMMS_KINDS)
COMMS_VERIFICATIONS = (
    "email_verification",
    "sms_verification",
    "phone_verification",
    "post_verification",
)
COMMS_OTHER = ("terms_accepted_at", "terms_accepted_version")
COMMS_FIELDS = COMMS_FLAGS + COMMS_VERIFICATIONS + COMMS_OTHER
# Comms state Omneo sets itself (a channel verified, a message bounced): a declaration may set it,
# but export never declares it (docs/profiles.md lists every server-owned field).
SERVER_OWNED_COMMS = COMMS_VERIFICATIONS + tuple(f"{c}_bounced" for c in COMMS_CHANNELS)
CUSTOM_TYPES = ("string", "integer", "float", "boolean", "json", "array")
_CUSTOM_TYPE_CHECKS: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "float": (float, int),
    "boolean": (bool,),
    "json": (dict, list),
    "array": (list,),
}


# What the API reads as a separator or a path in a name: ns:handle is one custom attribute's name
# in its URL, and /, \\, ?, #, % and .. change what a URL points at.
_SEPARATORS = (":", "/", "\\", "?", "#", "%")
# Control, format (zero-width, bidi), surrogate, private-use, unassigned, line and paragraph
# separators: characters that print as nothing, or differently from what they are.
_INVISIBLE = frozenset(("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"))
_PLAIN_NAME = re.compile(r"[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*")


def name_problem(name: str, what: str, *, dots: bool = True) -> str | None:
    """Why ``name`` (a custom attribute's namespace or handle) could be misrouted or mistaken for
    another name, or ``None``. Names must be in Unicode NFC, so that two spellings of one name
    (``café`` with a composed or a combining accent) cannot be two attributes.

    >>> name_problem("loyalty", "a namespace"), name_problem("a:b", "a namespace")
    (None, "a namespace cannot hold ':' (the API reads it as a separator or a path)")
    """
    if _PLAIN_NAME.fullmatch(name):  # most names: ASCII words, single dots between them
        return None if dots or "." not in name else _no_dot(what)
    for separator in _SEPARATORS:
        if separator in name:
            return f"{what} cannot hold {separator!r} (the API reads it as a separator or a path)"
    if ".." in name or name == ".":
        return f"{what} cannot hold '..' or be '.' (the API reads them as a path)"
    if not dots and "." in name:
        return _no_dot(what)
    for character in name:
        category = unicodedata.category(character)
        if category in _INVISIBLE or (category == "Zs" and character != " "):
            return (
                f"{what} holds an invisible, control or unusual space character "
                f"(U+{ord(character):04X}); retype the name"
            )
    if name != name.strip():
        return f"{what} begins or ends with a space"
    if not unicodedata.is_normalized("NFC", name):
        return (
            f"{what} is not in Unicode NFC form (an accent typed as a separate character); "
            "retype it or save the file as NFC, so that one name is never two attributes"
        )
    return None


def _no_dot(what: str) -> str:
    return f"{what} cannot hold '.' (plans name an attribute namespace.handle)"


def is_custom_type(kind: str, value: Any) -> bool:
    """Whether ``value`` is of custom attribute type ``kind`` (a bool is not a number).

    >>> is_custom_type("integer", 3), is_custom_type("integer", True)
    (True, False)
    """
    expected = _CUSTOM_TYPE_CHECKS[kind]
    return isinstance(value, expected) and (kind == "boolean" or not isinstance(value, bool))


def is_finite(value: Any) -> bool:
    """Whether ``value`` holds no Infinity or NaN at any depth (JSON cannot carry them).

    >>> is_finite({"a": [1.5, 2]}), is_finite([float("inf")])
    (True, False)
    """
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, dict):
        return all(is_finite(item) for item in value.values())
    if isinstance(value, list):
        return all(is_finite(item) for item in value)
    return True


# Scalar profile fields a declaration may manage, in Omneo's names and in display order.
SCALAR_FIELDS = (
    "title",
    "first_name",
    "last_name",
    "email",
    "mobile_phone",
    "secondary_phone",
    "birth_day",
    "birth_month",
    "birth_year",
    "gender",
    "company",
    "occupation",
    "currency",
    "joined_at",
    "avatar_url",
    "joined_location_id",
    "preferred_location_id",
)
ADDRESS_FIELDS = (
    "address_line_1",
    "address_line_2",
    "address_line_3",
    "company",
    "city",
    "state",
    "postcode",
    "country",
    "iso",
    "iso_state",
    "is_default",
    "notes",
    "external_id",
)
# A profile date's text fields (attributes.dates); ``date`` and the recurrence are apart.
DATE_TEXT_FIELDS = ("relationship", "name", "type", "description", "note")
DATE_HANDLE_PATTERN = r"^[A-Za-z0-9_:-]+$"  # no dot: a handle is one part of a flat path

# Fields a tombstone may not carry: everything but key, state and erasure.
IDENTIFYING_FIELDS = (*SCALAR_FIELDS, "tags", "identities", "attributes", "custom_attributes",
                      "addresses", "dates")  # fmt: skip


def infer_custom_type(value: Any) -> str:
    """The type a bare custom attribute value in a declaration is read as (export writes it)."""
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "float"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "json"
    return "string"


def path(*parts: str) -> str:
    # One shared string per field path, not one per profile: at 100,000 profiles the flat views'
    # keys alone were hundreds of MB. Looked up, not re-joined: this runs ~70 times a profile.
    found = _PATHS.get(parts)
    if found is None:
        found = _PATHS[parts] = ".".join(parts)
    return found


_PATHS: dict[tuple[str, ...], str] = {}


def address_view(address: dict[str, Any]) -> dict[str, JsonValue]:
    return {name: address.get(name) for name in ADDRESS_FIELDS if address.get(name) is not None}


def date_view(item: dict[str, Any]) -> dict[str, JsonValue]:
    """A profile date as plans compare it: ``recurring`` is the schedule (or ``True``) of a
    recurring date and absent for a one-off; unset fields and an empty ``meta`` are left out.

    >>> date_view({"date": "2015-03-14", "is_recurring": True, "recurring_schedule": "yearly",
    ...            "relationship": "partner", "name": None, "meta": {}})
    {'date': '2015-03-14', 'recurring': 'yearly', 'relationship': 'partner'}
    """
    view: dict[str, JsonValue] = {"date": item.get("date")}
    if item.get("is_recurring"):
        view["recurring"] = item.get("recurring_schedule") or True
    for name in DATE_TEXT_FIELDS:
        if item.get(name) is not None:
            view[name] = item[name]
    if item.get("meta"):
        view["meta"] = item["meta"]
    return view


def date_input(handle: str, view: dict[str, JsonValue]) -> dict[str, JsonValue]:
    """The API input (``dates_attributes`` item) that makes a date equal ``view``: every field
    given, unset ones as null, so a write leaves nothing of an earlier value behind.

    >>> date_input("wedding", {"date": "2015-03-14", "recurring": "yearly"})["recurring_schedule"]
    'yearly'
    """
    recurring = view.get("recurring")
    body: dict[str, JsonValue] = {
        "handle": handle,
        "date": view.get("date"),
        "is_recurring": bool(recurring),
        "recurring_schedule": recurring if isinstance(recurring, str) else None,
    }
    body.update({name: view.get(name) for name in DATE_TEXT_FIELDS})
    body["meta"] = view.get("meta")
    return body


# A field and a value Omneo keeps unique across profiles: ("email", "jane@example.com").
UniqueValue: TypeAlias = tuple[str, JsonValue]
UNIQUE_SCALARS = ("email", "mobile_phone")


def is_unique_field(name: str) -> bool:
    """Fields whose values Omneo keeps unique across profiles, and that matching uses."""
    return name in UNIQUE_SCALARS or name.startswith("identities.")


def unique_values(view: Mapping[str, JsonValue]) -> list[UniqueValue]:
    """The set unique values of a flat view, identities first, then email, then mobile.

    >>> unique_values({"email": "a@x.io", "identities.pos": "7", "mobile_phone": None})
    [('identities.pos', '7'), ('email', 'a@x.io')]
    """
    # Runs for every declared and every fetched profile: no per-field function calls.
    values: list[UniqueValue] = sorted(
        ((f, v) for f, v in view.items() if v is not None and f.startswith("identities.")),
        key=itemgetter(0),  # a view has each field once
    )
    values += [(f, view[f]) for f in UNIQUE_SCALARS if view.get(f) is not None]
    return values
