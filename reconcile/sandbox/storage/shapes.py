"""The documented shapes of a profile's parts, as every read answers them: an address (the same in
``GET /profiles/{id}`` and ``GET /profiles/{id}/addresses``), the appearance, the profile's
default address and whether it is complete.

>>> address_json({"id": 2, "city": "Sydney", "meta": {"floor": 3}})["meta"]
{'floor': 3}
>>> address_json({"id": 2, "city": "Sydney"})["address_line_2"] is None
True
"""

from __future__ import annotations

from typing import Any

from reconcile.sandbox.jsonio import dumps
from reconcile.sandbox.rules.vocabulary import APPEARANCE_FIELDS

# Every key of an address, in the SDK's Address type's order; a key never set is null.
ADDRESS_KEYS = (
    "id", "address_line_1", "address_line_2", "address_line_3", "company", "is_default",
    "latitude", "longitude", "city", "state", "postcode", "country", "iso", "iso_state", "notes",
    "meta", "external_id",
)  # fmt: skip
_BLANK_ADDRESS = dict.fromkeys(ADDRESS_KEYS)
_BLANK_APPEARANCE = dict.fromkeys(APPEARANCE_FIELDS)
UNKNOWN_NAME = "Unknown"  # what a missing first or last name is stored as


def address_json(item: dict[str, Any]) -> dict[str, Any]:
    """A stored address in its documented shape, whatever an older sandbox let in: a field that
    is not text (``address_line_1: 5``) reads as text, so no stored value fails the answer;
    ``meta`` is an object or null; a key the caller sent beyond the documented ones is kept."""
    found = _BLANK_ADDRESS.copy()
    for name, value in item.items():
        if name == "id":
            found[name] = value if isinstance(value, int) and not isinstance(value, bool) else None
        elif name == "is_default":
            found[name] = value if isinstance(value, bool) else None
        elif name == "meta":
            found[name] = value if isinstance(value, dict) else None
        elif value is None or isinstance(value, str):
            found[name] = value
        else:
            found[name] = dumps(value) if isinstance(value, dict | list) else str(value)
    return found


def addresses_json(items: Any) -> list[dict[str, Any]]:
    listed = items if isinstance(items, list) else []
    return [address_json(item) for item in listed if isinstance(item, dict)]


def default_address(addresses: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The profile's ``address``: the default one, else the first, else null."""
    chosen = next((a for a in addresses if a.get("is_default")), None)
    return chosen or (addresses[0] if addresses else None)


def appearance_json(profile_id: str, doc: dict[str, Any], created_at: str | None) -> dict[str, Any]:
    """``attributes.appearance``: every key, null unless set, with its profile and timestamps."""
    held = doc.get("appearance")
    values = held if isinstance(held, dict) else {}
    found: dict[str, Any] = {"profile_id": profile_id, **_BLANK_APPEARANCE}
    found.update((name, values[name]) for name in APPEARANCE_FIELDS if name in values)
    found["created_at"] = created_at
    found["updated_at"] = doc.get("appearance_updated_at") or created_at
    return found


def is_completed(first_name: str | None, last_name: str | None, email: str | None) -> bool:
    """Whether the profile holds a real name and an email (the sandbox's rule: Omneo's own is
    not documented)."""
    names = (first_name, last_name)
    return bool(email) and all(name and name != UNKNOWN_NAME for name in names)
