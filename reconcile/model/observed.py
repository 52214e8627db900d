"""What the tenant holds: :class:`ObservedProfile`, parsed from an API profile into the flat view.

>>> o = ObservedProfile.from_api({"id": 7, "email": "jane@example.com", "identities": []})
>>> o.fields["email"], o.id
('jane@example.com', '7')
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict

from reconcile.model.fields import (
    COMMS_FIELDS,
    SCALAR_FIELDS,
    JsonValue,
    address_view,
    date_view,
    path,
)

DELETED_TYPE = "deleted"  # Omneo's profile type for a soft-deleted profile


@dataclass(frozen=True, slots=True)
class Identity:
    """An identity of a profile: what reconcile reads of it (its id orders a handle's identities).

    A slotted value, not a model: a tenant of 100,000 managed profiles holds 300,000 of them.
    """

    id: int
    handle: str
    identifier: str

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> Identity:
        return cls(int(data["id"]), str(data["handle"]), str(data["identifier"]))


class ObservedProfile(BaseModel):
    """A profile as the tenant holds it, reduced to the flat view plus what apply needs."""

    model_config = ConfigDict(frozen=True)

    id: str
    profile_type: str = "active"
    identities: tuple[Identity, ...] = ()
    fields: dict[str, JsonValue]
    # (handle, id) of each date the view shows: writes address a date by its id.
    date_ids: tuple[tuple[str, int], ...] = ()

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> ObservedProfile:
        identities = tuple(
            sorted(
                (Identity.from_api(i) for i in data.get("identities") or []),
                key=lambda identity: identity.id,
            )
        )
        dates = _dates_by_handle(data)
        fields = _observed_view(data, identities)
        for handle, item in dates.items():
            fields[path("dates", handle)] = date_view(item)
        # Built from a decoded JSON answer, so already JSON values: constructed, not validated
        # again (validating the view's every value cost more than building it).
        return cls.model_construct(
            _fields_set=_ALL_FIELDS,  # one set for every fetched profile, not one each
            id=str(data["id"]),
            profile_type=str(data.get("profile_type") or "active"),
            identities=identities,
            fields=fields,
            date_ids=tuple((handle, int(item["id"])) for handle, item in dates.items()),
        )

    @property
    def deleted(self) -> bool:
        """Soft-deleted: hidden from reads, yet it keeps its email, mobile and identities."""
        return self.profile_type == DELETED_TYPE

    def identifier(self, handle: str) -> str | None:
        return next((i.identifier for i in self.identities if i.handle == handle), None)

    def date_id(self, handle: str) -> int | None:
        """The id of the date with ``handle`` that the view shows (the oldest of that handle)."""
        return next((date_id for name, date_id in self.date_ids if name == handle), None)

    def fingerprint(self) -> str:
        """A digest of everything reconcile can manage on this profile: changes when it moves.

        A soft delete or a restore moves it too (the type is left out while the profile is
        live, so live profiles keep the fingerprints they always had).
        """
        state = [self.id, self.fields] if not self.deleted else [self.id, DELETED_TYPE, self.fields]
        payload = json.dumps(state, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(payload.encode()).hexdigest()[:16]


_ALL_FIELDS = set(ObservedProfile.model_fields)


def _observed_view(data: dict[str, Any], identities: tuple[Identity, ...]) -> dict[str, JsonValue]:
    view: dict[str, JsonValue] = {
        name: _coerce_int_text(name, data.get(name)) for name in SCALAR_FIELDS
    }
    view["tags"] = [str(tag) for tag in sorted(data.get("tags") or [], key=str)]
    for identity in reversed(identities):  # the oldest identity of a handle wins
        view[path("identities", identity.handle)] = identity.identifier
    comms = (data.get("attributes") or {}).get("comms") or {}
    for flag in COMMS_FIELDS:  # an unset (null) flag is left out: reading it gives None anyway
        if comms.get(flag) is not None:
            view[path("attributes.comms", flag)] = comms[flag]
    for namespace, handles in sorted((data.get("custom_attributes") or {}).items()):
        for handle, value in sorted((handles or {}).items()):
            view[path("custom_attributes", namespace, handle)] = value
    view["addresses"] = [address_view(a) for a in data.get("addresses") or []]
    return view


def _dates_by_handle(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    # A date without a handle cannot be declared, so it is not in the view (and left alone);
    # of two dates with one handle (other relationships), the oldest is the one managed.
    dates = (data.get("attributes") or {}).get("dates") or []
    found: dict[str, dict[str, Any]] = {}
    for item in sorted(dates, key=lambda d: int(d.get("id") or 0)):
        handle = item.get("handle")
        if isinstance(handle, str) and handle and handle not in found:
            found[handle] = item
    return dict(sorted(found.items()))


def _coerce_int_text(name: str, value: Any) -> Any:
    # Omneo's examples render birth parts as strings ("1"); compare them as the integers they are.
    if name.startswith("birth_") and isinstance(value, str) and value.isdigit():
        return int(value)
    return value
