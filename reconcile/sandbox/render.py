"""Turn stored rows into the JSON shapes of Omneo's API: its profile and identity objects."""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime
from typing import Any

from reconcile.sandbox.jsonio import stored_json, stored_object
from reconcile.sandbox.values import phone_details
from reconcile.sandbox.vocabulary import COMMS_FIELDS, PROFILE_FIELDS

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


def identity_json(row: sqlite3.Row) -> dict[str, Any]:
    return {
        "id": row["id"],
        "handle": row["handle"],
        "identifier": row["identifier"],
        "is_primary": bool(row["is_primary"]),
        "is_active": bool(row["is_active"]),
        "profile_id": row["profile_id"],
        "merged_from": row["merged_from"],
        "created_at": row["created_at"],
        "updated_at": row["updated_at"],
    }


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


def _related(conn: sqlite3.Connection, table: str, ids: Sequence[str]) -> dict[str, list[Any]]:
    found: dict[str, list[Any]] = defaultdict(list)
    for chunk in _chunks(ids):
        marks = ",".join("?" * len(chunk))
        sql = f"SELECT * FROM {table} WHERE profile_id IN ({marks}) ORDER BY id"
        for row in conn.execute(sql, tuple(chunk)):
            found[row["profile_id"]].append(row)
    return found


def profiles_json(conn: sqlite3.Connection, rows: Sequence[sqlite3.Row]) -> list[dict[str, Any]]:
    """Full profile objects for ``rows`` (three extra queries in all, however many rows)."""
    ids = [row["id"] for row in rows]
    identities = _related(conn, "identities", ids)
    customs = _related(conn, "custom_attributes", ids)
    dates = _related(conn, "dates", ids)
    return [
        profile_json(row, identities[row["id"]], customs[row["id"]], dates[row["id"]])
        for row in rows
    ]


def profile_json(
    row: sqlite3.Row,
    identities: Sequence[sqlite3.Row],
    customs: Sequence[sqlite3.Row],
    dates: Sequence[sqlite3.Row] = (),
) -> dict[str, Any]:
    doc = stored_object(row["doc"])
    primary = next((i["identifier"] for i in identities if i["is_primary"]), None)
    custom: dict[str, dict[str, Any]] = {}
    for item in customs:
        custom.setdefault(item["namespace"], {})[item["handle"]] = stored_json(item["value"])
    comms = {flag: None for flag in COMMS_FIELDS} | doc.get("comms", {})
    profile: dict[str, Any] = {
        "id": row["id"],
        "external_id": primary,
        "first_name": row["first_name"],
        "last_name": row["last_name"],
        "full_name": f"{row['first_name']} {row['last_name']}",
        "email": row["email"],
        **_mobile(row["mobile_phone"], doc.get("mobile_parts")),
    }
    profile.update({name: doc.get(name) for name in DOC_FIELDS})
    profile.update(_birthday(doc.get("birth_day"), doc.get("birth_month"), doc.get("birth_year")))
    profile.update(
        {
            "joined_location": None,
            "preferred_location": None,
            "tier_handle": None,
            "tier": None,
            "identities": [identity_json(i) for i in identities],
            "tags": doc.get("tags", []),
            "statuses": [],
            "attributes": {
                "comms": {
                    **comms,
                    "profile_id": row["id"],
                    "updated_at": doc.get("comms_updated_at"),
                },
                "appearance": {},
                "dates": [date_json(d) for d in dates],
            },
            "custom_attributes": custom,
            "addresses": doc.get("addresses", []),
            **dict.fromkeys(BALANCES, 0),
            "profile_type": row["profile_type"],
            "region": None,
            "created_at": row["created_at"],
            "updated_at": row["updated_at"],
        }
    )
    return profile


def mobile_parts(e164: str) -> list[Any]:
    """Country code, national number and national number with trunk prefix (stored at write)."""
    return list(phone_details(e164))


def _mobile(e164: str | None, parts: list[Any] | None) -> dict[str, Any]:
    if not e164:
        return dict.fromkeys(
            (
                "mobile_phone",
                "mobile_phone_country",
                "mobile_phone_national",
                "mobile_phone_national_prefix",
                "mobile_phone_e164",
            )
        )
    country, national, prefixed = parts or mobile_parts(e164)
    return {
        "mobile_phone": e164,
        "mobile_phone_country": country,
        "mobile_phone_national": national,
        "mobile_phone_national_prefix": prefixed,
        "mobile_phone_e164": e164,
    }


def _birthday(day: int | None, month: int | None, year: int | None) -> dict[str, Any]:
    out: dict[str, Any] = dict.fromkeys(
        ("birth_date", "birth_days", "birth_days_past", "next_birthday")
    )
    if day is None or month is None:
        return out
    if year is not None:
        out["birth_date"] = date(year, month, day).isoformat()
    today = datetime.now(UTC).date()
    upcoming = _anniversary(today.year, month, day)
    if upcoming < today:
        upcoming = _anniversary(today.year + 1, month, day)
    last = _anniversary(today.year, month, day)
    if last > today:
        last = _anniversary(today.year - 1, month, day)
    out.update(
        next_birthday=upcoming.isoformat(),
        birth_days=(upcoming - today).days,
        birth_days_past=(today - last).days,
    )
    return out


def _anniversary(year: int, month: int, day: int) -> date:
    try:
        return date(year, month, day)
    except ValueError:  # 29 February outside a leap year: celebrated on the 28th
        return date(year, month, day - 1)
