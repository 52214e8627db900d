"""Turn stored rows into the JSON shapes of Omneo's API: its profile and identity objects."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Any

from reconcile.sandbox.jsonio import fragment, stored_json, stored_object
from reconcile.sandbox.rules.values import phone_details
from reconcile.sandbox.rules.vocabulary import COMMS_FIELDS, PROFILE_FIELDS
from reconcile.sandbox.storage.shapes import (
    addresses_json,
    appearance_json,
    default_address,
    is_completed,
)

# The profile fields kept in the JSON document; names, email and mobile live in their own columns.
COLUMN_FIELDS = ("first_name", "last_name", "email", "mobile_phone")
DOC_FIELDS = tuple(name for name in PROFILE_FIELDS if name not in COLUMN_FIELDS)
BALANCES = (
    "reward_balance",
    "point_balance",
    "combined_balance_dollars",
    "point_balance_dollars",
    "benefit_balance",
    "credit_balance",
)


IDENTITY_KEYS = ("id", "handle", "identifier", "is_primary", "is_active", "profile_id",
                 "merged_from", "created_at", "updated_at")  # fmt: skip
_IDENTITY_COLUMNS = ", ".join(IDENTITY_KEYS)
_BLANK_COMMS = dict.fromkeys(COMMS_FIELDS)
MOBILE_KEYS = ("mobile_phone", "mobile_phone_country", "mobile_phone_national",
               "mobile_phone_national_prefix", "mobile_phone_e164")  # fmt: skip
BIRTH_KEYS = ("birth_date", "birth_days", "birth_days_past", "next_birthday")
# A profile object's keys in the API's order, with the values of those the sandbox never sets.
_SHAPE: dict[str, Any] = {
    **dict.fromkeys(("id", "external_id", "first_name", "last_name", "full_name", "email")),
    **dict.fromkeys(MOBILE_KEYS),
    **dict.fromkeys(DOC_FIELDS),
    "is_completed": False,
    "custom_fields": None,
    **dict.fromkeys(BIRTH_KEYS),
    **dict.fromkeys(("joined_location", "preferred_location", "tier_handle", "tier")),
    **dict.fromkeys(("identities", "tags", "statuses", "statuses_original", "attributes")),
    **dict.fromkeys(("custom_attributes", "address", "addresses")),
    **dict.fromkeys(BALANCES, 0),
    **dict.fromkeys(("profile_type", "region", "regions", "created_at", "updated_at")),
}


def identity_json(row: sqlite3.Row) -> dict[str, Any]:
    return _identity(*(row[key] for key in IDENTITY_KEYS))


def _identity(
    ident: int,
    handle: str,
    identifier: str,
    primary: int,
    active: int,
    profile_id: str,
    merged: Any,
    created: str,
    updated: str,
) -> dict[str, Any]:
    return {
        "id": ident,
        "handle": handle,
        "identifier": identifier,
        "is_primary": bool(primary),
        "is_active": bool(active),
        "profile_id": profile_id,
        "merged_from": merged,
        "created_at": created,
        "updated_at": updated,
    }


def identities_where(
    conn: sqlite3.Connection, where: str, params: Sequence[Any]
) -> list[dict[str, Any]]:
    """Identity objects matching ``where`` (SQL on table ``identities``), in id order."""
    cursor = conn.cursor()
    cursor.row_factory = None  # plain tuples: a sqlite3.Row read by name costs ~10x more
    sql = f"SELECT {_IDENTITY_COLUMNS} FROM identities WHERE {where} ORDER BY id"
    return [_identity(*row) for row in cursor.execute(sql, params)]


def custom_attribute_json(row: sqlite3.Row) -> dict[str, Any]:
    return {
        "id": row["id"],
        "profile_id": row["profile_id"],
        "namespace": row["namespace"],
        "handle": row["handle"],
        "type": row["type"],
        "value": stored_json(row["value"]),
        "created_at": row["created_at"],
        "updated_at": row["updated_at"],
    }


def date_json(row: sqlite3.Row) -> dict[str, Any]:
    """A profile date, as ``attributes.dates`` and the dates routes show it."""
    return {
        "id": row["id"],
        "profile_id": row["profile_id"],
        "type": row["type"],
        "date": row["date"],
        "is_recurring": bool(row["is_recurring"]),
        "recurring_schedule": row["recurring_schedule"],
        "name": row["name"],
        "handle": row["handle"],
        "relationship": row["relationship"],
        "description": row["description"],
        "meta": stored_json(row["meta"]),
        "note": row["note"],
        "created_at": row["created_at"],
        "updated_at": row["updated_at"],
    }


def _chunks(ids: Sequence[str], size: int = 500) -> Iterable[Sequence[str]]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def _in(ids: Sequence[str]) -> str:
    return f"profile_id IN ({','.join('?' * len(ids))})"


@dataclass
class _Related:
    """What the profiles of a page hold in the other tables, by profile id: one query a table."""

    identities: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    customs: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    dates: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    @classmethod
    def read(cls, conn: sqlite3.Connection, ids: Sequence[str]) -> _Related:
        found = cls()
        for chunk in _chunks(ids):
            for identity in identities_where(conn, _in(chunk), chunk):
                found.identities.setdefault(identity["profile_id"], []).append(identity)
            cursor = conn.cursor()
            cursor.row_factory = None
            sql = (
                "SELECT profile_id, namespace, handle, value FROM custom_attributes"
                f" WHERE {_in(chunk)} ORDER BY id"
            )
            for profile_id, namespace, handle, value in cursor.execute(sql, chunk):
                held = found.customs.setdefault(profile_id, {})
                held.setdefault(namespace, {})[handle] = stored_json(value)
            sql = f"SELECT * FROM dates WHERE {_in(chunk)} ORDER BY id"
            for row in conn.execute(sql, chunk):
                found.dates.setdefault(row["profile_id"], []).append(date_json(row))
        return found


def profiles_json(conn: sqlite3.Connection, rows: Sequence[sqlite3.Row]) -> list[dict[str, Any]]:
    """Full profile objects for ``rows`` (three extra queries in all, however many rows)."""
    return list(rendered(conn, rows))


def encoded_profiles(conn: sqlite3.Connection, rows: Sequence[sqlite3.Row]) -> list[Any]:
    """The profiles of ``rows`` as JSON fragments for a page (see :func:`jsonio.fragment`)."""
    return [fragment(profile) for profile in rendered(conn, rows)]


def rendered(conn: sqlite3.Connection, rows: Sequence[sqlite3.Row]) -> Iterator[dict[str, Any]]:
    """Full profile objects for ``rows``, one at a time."""
    related = _Related.read(conn, [row["id"] for row in rows])
    today = datetime.now(UTC).date()
    for row in rows:
        yield _profile(row, related, today)


def _primary(identities: list[dict[str, Any]]) -> Any:
    """The identifier of the primary identity (the profile's ``external_id``), if any."""
    for identity in identities:
        if identity["is_primary"]:
            return identity["identifier"]
    return None


def comms_json(row: sqlite3.Row) -> dict[str, Any]:
    """The profile's ``attributes.comms``: every flag, ``null`` when never set."""
    return _comms(row["id"], stored_object(row["doc"]))


def _comms(profile_id: str, doc: dict[str, Any]) -> dict[str, Any]:
    comms = _BLANK_COMMS.copy()
    comms.update(doc.get("comms", {}))
    comms["profile_id"] = profile_id
    comms["updated_at"] = doc.get("comms_updated_at")
    return comms


def _profile(row: sqlite3.Row, related: _Related, today: date) -> dict[str, Any]:
    profile_id, first, last = row["id"], row["first_name"], row["last_name"]
    doc = stored_object(row["doc"])
    get = doc.get
    identities = related.identities.get(profile_id, [])
    profile = _SHAPE.copy()  # every key in place: the assignments below never resize the dict
    profile["id"] = profile_id
    profile["external_id"] = _primary(identities)
    profile["first_name"] = first
    profile["last_name"] = last
    profile["full_name"] = f"{first} {last}"
    profile["email"] = row["email"]
    if row["mobile_phone"]:
        profile.update(_mobile(row["mobile_phone"], get("mobile_parts")))
    profile.update(zip(DOC_FIELDS, map(get, DOC_FIELDS), strict=True))
    _birthday(profile, doc, today)
    profile["is_completed"] = is_completed(first, last, row["email"])
    profile["custom_fields"] = {}  # the tenant's own fields: the sandbox defines none
    profile["identities"] = identities
    profile["tags"] = get("tags", [])
    profile["statuses"] = []
    profile["statuses_original"] = []
    profile["attributes"] = {
        "comms": _comms(profile_id, doc),
        "appearance": appearance_json(profile_id, doc, row["created_at"]),
        "dates": related.dates.get(profile_id, []),
    }
    profile["custom_attributes"] = related.customs.get(profile_id, {})
    addresses = addresses_json(get("addresses"))
    profile["address"] = default_address(addresses)
    profile["addresses"] = addresses
    profile["regions"] = []
    profile["profile_type"] = row["profile_type"]
    profile["created_at"] = row["created_at"]
    profile["updated_at"] = row["updated_at"]
    return profile


def mobile_parts(e164: str) -> list[Any]:
    """Country code, national number and national number with trunk prefix (stored at write)."""
    return list(phone_details(e164))


def _mobile(e164: str | None, parts: list[Any] | None) -> dict[str, Any]:
    if not e164:
        return dict.fromkeys(MOBILE_KEYS)
    country, national, prefixed = parts or mobile_parts(e164)
    return {
        "mobile_phone": e164,
        "mobile_phone_country": country,
        "mobile_phone_national": national,
        "mobile_phone_national_prefix": prefixed,
        "mobile_phone_e164": e164,
    }


def _birthday(profile: dict[str, Any], doc: dict[str, Any], today: date) -> None:
    """Set the profile's birthday fields (left ``null`` without a day and a month)."""
    day, month, year = doc.get("birth_day"), doc.get("birth_month"), doc.get("birth_year")
    if day is None or month is None:
        return
    if year is not None:
        profile["birth_date"] = date(year, month, day).isoformat()
    profile["birth_days"], profile["birth_days_past"], profile["next_birthday"] = _countdown(
        day, month, today
    )


@lru_cache(maxsize=1024)  # at most 366 birthdays a day: profiles share them
def _countdown(day: int, month: int, today: date) -> tuple[int, int, str]:
    """Days to the next birthday, days since the last one, and the next one's date."""
    upcoming = _anniversary(today.year, month, day)
    if upcoming < today:
        upcoming = _anniversary(today.year + 1, month, day)
    last = _anniversary(today.year, month, day)
    if last > today:
        last = _anniversary(today.year - 1, month, day)
    return (upcoming - today).days, (today - last).days, upcoming.isoformat()


def _anniversary(year: int, month: int, day: int) -> date:
    try:
        return date(year, month, day)
    except ValueError:  # 29 February outside a leap year: celebrated on the 28th
        return date(year, month, day - 1)
