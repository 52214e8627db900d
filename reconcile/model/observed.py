"""What the tenant holds: :class:`ObservedProfile`, parsed from an API profile into the flat view.

>>> o = ObservedProfile.from_api({"id": 7, "email": "jane@example.com", "identities": []})
>>> o.fields["email"], o.id, o.fields.get("title")
('jane@example.com', '7', None)
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from itertools import compress, repeat
from operator import is_not, itemgetter
from typing import Any

from pydantic import BaseModel, ConfigDict

from reconcile.model.fields import (
    ADDRESS_FIELDS,
    COMMS_FIELDS,
    SCALAR_FIELDS,
    UNIQUE_SCALARS,
    JsonValue,
    UniqueValue,
    date_view,
    path,
)
from reconcile.model.parts import constructed

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
        return cls(int(data["id"]), share(str(data["handle"])), str(data["identifier"]))


class ObservedProfile(BaseModel):
    """A profile as the tenant holds it, reduced to the flat view plus what apply needs.

    ``fields`` leaves out scalar fields the tenant holds no value in (``fields.get(name)`` is
    ``None`` either way); :meth:`fingerprint` puts them back, so fingerprints do not move.
    """

    model_config = ConfigDict(frozen=True)

    id: str
    profile_type: str = "active"
    identities: tuple[Identity, ...] = ()
    fields: dict[str, JsonValue]
    # (handle, id) of each date the view shows: writes address a date by its id.
    date_ids: tuple[tuple[str, int], ...] = ()

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> ObservedProfile:
        identities = _identities(data.get("identities"))
        attributes = data.get("attributes") or {}
        dates = _dates_by_handle(attributes.get("dates"))
        fields = _observed_view(data, attributes, identities)
        for handle, item in dates.items():
            fields[path("dates", handle)] = date_view(item)
        # Built from a decoded JSON answer, the values are JSON already: validating the view cost
        # more than building it (model_construct's per-field walk: 3.6 -> 1 us).
        return constructed(
            cls,
            {
                "id": str(data["id"]),
                "profile_type": share(str(data.get("profile_type") or "active")),
                "identities": identities,
                "fields": fields,
                "date_ids": tuple((handle, int(item["id"])) for handle, item in dates.items()),
            },
            _ALL_FIELDS,  # one set for every fetched profile
        )

    @property
    def deleted(self) -> bool:
        """Soft-deleted: hidden from reads, yet it keeps its email, mobile and identities."""
        return self.profile_type == DELETED_TYPE

    @property
    def unique(self) -> tuple[UniqueValue, ...]:
        """The unique values it holds, as :func:`unique_values` of its view gives them, read off
        its identities (the oldest of a handle is the one the view shows) without a scan of the
        view. Not cached: the planner asks once a profile (a cached property takes a lock)."""
        oldest: dict[str, str] = {}
        for identity in self.identities:  # sorted by id
            oldest.setdefault(identity.handle, identity.identifier)
        values: list[UniqueValue] = sorted(
            (path("identities", handle), identifier) for handle, identifier in oldest.items()
        )
        fields = self.fields
        values += [(f, fields[f]) for f in UNIQUE_SCALARS if fields.get(f) is not None]
        return tuple(values)

    def identifier(self, handle: str) -> str | None:
        return next((i.identifier for i in self.identities if i.handle == handle), None)

    def date_id(self, handle: str) -> int | None:
        """The id of the date with ``handle`` that the view shows (the oldest of that handle)."""
        return next((date_id for name, date_id in self.date_ids if name == handle), None)

    def fingerprint(self) -> str:
        """A digest of everything reconcile can manage on this profile: changes when it moves.

        A soft delete or a restore moves it too (the type is left out while the profile is
        live, so live profiles keep the fingerprints they always had). Unset scalar fields are
        digested as nulls, as they were when the view held them: plans saved before keep
        applying.
        """
        view = {**_UNSET_SCALARS, **self.fields}
        state = [self.id, view] if not self.deleted else [self.id, DELETED_TYPE, view]
        payload = json.dumps(state, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(payload.encode()).hexdigest()[:16]


_ALL_FIELDS = set(ObservedProfile.model_fields)
_UNSET_SCALARS: dict[str, JsonValue] = dict.fromkeys(SCALAR_FIELDS)
# Text and integers that repeat across a tenant's profiles (names, titles, cities, tags, handles,
# birth years) are kept once, not once per profile: about 1 KB less a profile. Keyed by exact type
# (1 == 1.0 == True); emptied when full, so a tenant of unique values cannot grow it without end.
_TEXTS: dict[str, str] = {}
_INTS: dict[int, int] = {}
_SHARED_MAX = 1 << 16
_SHARED_SCALARS = (
    *("title", "first_name", "last_name", "gender", "company", "occupation", "currency"),
    *("birth_year", "joined_location_id", "preferred_location_id"),
)
_SHARED_ADDRESS = frozenset(("company", "city", "state", "postcode", "country", "iso", "iso_state"))
_BIRTH_PARTS = ("birth_day", "birth_month", "birth_year")
_COMMS_PATHS = {flag: path("attributes.comms", flag) for flag in COMMS_FIELDS}


def share(value: Any) -> Any:
    """``value``, or an equal value of its type seen before: one object for every profile.

    >>> share("Melbourne") is share("".join(["Mel", "bourne"]))
    True
    """
    kind = type(value)
    if kind is str:
        return _TEXTS.setdefault(value, value)
    if kind is int:
        return _INTS.setdefault(value, value)
    return value


def _identities(items: Any) -> tuple[Identity, ...]:
    if not items:
        return ()
    found = sorted(((int(item["id"]), item) for item in items), key=itemgetter(0))
    return tuple(
        _identity(number, share(str(item["handle"])), str(item["identifier"]))
        for number, item in found
    )


def _identity(number: int, handle: str, identifier: str) -> Identity:
    # Identity(number, handle, identifier) without the frozen dataclass's __init__ (three
    # object.__setattr__ calls): 0.8 -> 0.3 us, three times a fetched profile.
    identity = _new(Identity)
    _set_id(identity, number)
    _set_handle(identity, handle)
    _set_identifier(identity, identifier)
    return identity


_new = object.__new__
_set_id, _set_handle, _set_identifier = (
    vars(Identity)[name].__set__ for name in ("id", "handle", "identifier")
)


def _observed_view(
    data: dict[str, Any], attributes: dict[str, Any], identities: tuple[Identity, ...]
) -> dict[str, JsonValue]:
    """The flat view; a scalar field without a value is left out (reading it gives None)."""
    if len(_TEXTS) > _SHARED_MAX or len(_INTS) > _SHARED_MAX:
        _TEXTS.clear()
        _INTS.clear()
    # The per-field work runs in C (map, compress) where it can: this runs for every profile.
    values = tuple(map(data.get, SCALAR_FIELDS))
    view = dict(compress(zip(SCALAR_FIELDS, values, strict=True), map(is_not, values, _NONES)))
    for name in _BIRTH_PARTS:
        # Omneo's examples render birth parts as strings ("1"); compare them as the integers.
        part = view.get(name)
        if type(part) is str and part.isdecimal():
            view[name] = int(part)
    for name in _SHARED_SCALARS:
        if name in view:
            view[name] = share(view[name])
    view["tags"] = _tags(data.get("tags"))
    for identity in reversed(identities):  # the oldest identity of a handle wins
        view[path("identities", identity.handle)] = identity.identifier
    comms = attributes.get("comms")
    if comms:
        # A profile carries all 61 flags, most null: the set ones are found without a Python
        # step per flag, and unset ones are left out (reading them gives None anyway).
        for flag in compress(comms, map(is_not, comms.values(), _NONES)):
            key = _COMMS_PATHS.get(flag)
            if key is not None:
                view[key] = share(comms[flag])
    custom = data.get("custom_attributes")
    if custom:
        for namespace, handles in sorted(custom.items()):
            for handle, value in sorted((handles or {}).items()):
                view[path("custom_attributes", namespace, handle)] = share(value)
    view["addresses"] = [_address(a) for a in data.get("addresses") or ()]
    return view


_NONES = repeat(None)  # endless: map() stops at the shorter iterable


def _tags(tags: Any) -> list[JsonValue]:
    # sorted by their text, as text: the same as sorting by str() and then converting
    return [_TEXTS.setdefault(tag, tag) for tag in sorted(map(str, tags))] if tags else []


def _address(address: dict[str, Any]) -> dict[str, JsonValue]:
    # model/fields.address_view's result, with repeating values (cities, states) shared
    view: dict[str, JsonValue] = {}
    for name in ADDRESS_FIELDS:
        value = address.get(name)
        if value is not None:
            view[name] = share(value) if name in _SHARED_ADDRESS else value
    return view


def _dates_by_handle(dates: Any) -> dict[str, dict[str, Any]]:
    # A date without a handle cannot be declared, so it is not in the view (and left alone);
    # of two dates with one handle (other relationships), the oldest is the one managed.
    if not dates:
        return {}
    found: dict[str, dict[str, Any]] = {}
    for item in sorted(dates, key=lambda d: int(d.get("id") or 0)):
        handle = item.get("handle")
        if isinstance(handle, str) and handle and handle not in found:
            found[handle] = item
    return dict(sorted(found.items()))
