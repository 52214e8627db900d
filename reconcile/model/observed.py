"""What the tenant holds: :class:`ObservedProfile`, read from an API profile into the flat view.

The reading, whatever form the tenant's answer takes, is :mod:`~reconcile.model.reading`'s.

>>> o = ObservedProfile.from_api({"id": 7, "email": "jane@example.com", "identities": []})
>>> o.fields["email"], o.id, o.fields.get("title"), o.unreadable
('jane@example.com', '7', None, None)
>>> o.fields == {"email": "jane@example.com", "tags": [], "addresses": []}
True
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from operator import itemgetter
from typing import Any

from pydantic import BaseModel, ConfigDict

from reconcile.model.answer_parts import share as share
from reconcile.model.fields import SCALAR_FIELDS, UNIQUE_SCALARS, JsonValue, UniqueValue, path
from reconcile.model.parts import constructed
from reconcile.model.reading import Unreadable, read_profile

DELETED_TYPE = "deleted"  # Omneo's profile type for a soft-deleted profile


@dataclass(frozen=True, slots=True)
class Identity:
    """An identity of a profile: what reconcile reads of it. Its id is opaque text (a number in
    Omneo's examples, text in others); it orders a handle's identities, oldest first.

    A slotted value, not a model: a tenant of 100,000 managed profiles holds 300,000 of them.
    """

    id: str
    handle: str
    identifier: str


class Fields(Mapping[str, JsonValue]):
    """A fetched profile's flat view, read-only: its values in a tuple beside a map of names to
    positions that every profile of the same shape shares. A dict of a profile's twenty-odd
    fields cost three times the memory, and a large tenant holds one a profile.

    >>> view = Fields({"email": "a@x.io", "tags": ["vip"]})
    >>> view["email"], view.get("title"), "tags" in view, list(view), view.as_dict()
    ('a@x.io', None, True, ['email', 'tags'], {'email': 'a@x.io', 'tags': ['vip']})
    """

    __slots__ = ("_at", "_values")

    _at: _Shape
    _values: tuple[JsonValue, ...]

    def __init__(self, view: Mapping[str, JsonValue]) -> None:
        names = tuple(view)
        at = _POSITIONS.get(names)
        if at is None:
            at = _Shape(names)
            if len(_POSITIONS) < _SHAPES_KEPT:
                _POSITIONS[names] = at
        self._at = at
        self._values = tuple(view.values())

    def __getitem__(self, name: str) -> JsonValue:
        return self._values[self._at[name]]

    def get(self, name: str, default: JsonValue = None) -> JsonValue:  # type: ignore[override]
        position = self._at.get(name)
        return default if position is None else self._values[position]

    def __contains__(self, name: object) -> bool:
        return name in self._at

    def __iter__(self) -> Iterator[str]:
        return iter(self._at)

    def __len__(self) -> int:
        return len(self._values)

    def as_dict(self) -> dict[str, JsonValue]:
        """A fresh dict of the view (the caller may change it)."""
        return dict(zip(self._at, self._values, strict=True))

    def pick(self, names: tuple[str, ...]) -> tuple[JsonValue, ...] | None:
        """The values of ``names``, in their order; ``None`` if the view lacks one of them.
        For comparing a declaration with its profile: one call in C, not a lookup a name.

        >>> Fields({"email": "a@x.io", "title": "Dr"}).pick(("title", "email"))
        ('Dr', 'a@x.io')
        """
        picker = self._at.picker(names)
        return None if picker is None else picker(self._values)

    def __repr__(self) -> str:
        return repr(self.as_dict())


Picker = Callable[[tuple[JsonValue, ...]], tuple[JsonValue, ...]]


class _Shape(dict[str, int]):
    """A shape of fetched views: names to positions, with the pickers asked of it (by the
    names they pick, which a declaration's shared tuple of names makes few)."""

    __slots__ = ("_pickers",)

    def __init__(self, names: tuple[str, ...]) -> None:
        super().__init__((name, position) for position, name in enumerate(names))
        self._pickers: dict[tuple[str, ...], Picker | None] | None = None

    def picker(self, names: tuple[str, ...]) -> Picker | None:
        pickers = self._pickers
        if pickers is None:
            pickers = self._pickers = {}
        elif names in pickers:
            return pickers[names]
        try:
            found: Picker | None = _getter([self[name] for name in names])
        except KeyError:
            found = None
        if len(pickers) < _PICKERS_KEPT:
            pickers[names] = found
        return found


def _getter(positions: list[int]) -> Picker:
    if len(positions) > 1:
        return itemgetter(*positions)
    if positions:
        at = positions[0]
        return lambda values: (values[at],)
    return lambda values: ()


# The shapes of fetched views seen; kept up to a bound (a tenant of as many shapes as profiles
# gains nothing from sharing them), as are the pickers of each.
_POSITIONS: dict[tuple[str, ...], _Shape] = {}
_SHAPES_KEPT = 4096
_PICKERS_KEPT = 64


class ObservedProfile(BaseModel):
    """A profile as the tenant holds it, reduced to the flat view plus what apply needs.

    ``fields`` leaves out scalar fields the tenant holds no value in (``fields.get(name)`` is
    ``None`` either way); :meth:`fingerprint` puts them back, so fingerprints do not move.
    """

    model_config = ConfigDict(frozen=True)

    id: str
    profile_type: str = "active"
    identities: tuple[Identity, ...] = ()
    # A Fields when read from the tenant; any mapping a caller builds itself.
    fields: Mapping[str, JsonValue]
    # (handle, id) of each date the view shows: writes address a date by its id.
    date_ids: tuple[tuple[str, str], ...] = ()
    # The first part of the answer that could not be read: the profile is a conflict of the plan
    # and is never written (its fingerprint matches no readable one).
    unreadable: Unreadable | None = None

    @classmethod
    def from_api(cls, data: Any) -> ObservedProfile:
        """Read an API profile; one whose parts cannot all be read is kept, with what could be
        read, and ``unreadable`` naming the first part that could not."""
        read = read_profile(data)
        # Built from a decoded JSON answer, the values are JSON already: validating the view cost
        # more than building it (model_construct's per-field walk: 3.6 -> 1 us).
        return constructed(
            cls,
            {
                "id": read.id,
                "profile_type": read.profile_type,
                "identities": tuple(_identity(*identity) for identity in read.identities),
                "fields": Fields(read.view),
                "date_ids": read.date_ids,
                "unreadable": read.unreadable,
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
        for identity in self.identities:  # a plain loop: asked once a profile of a plan
            if identity.handle == handle:
                return identity.identifier
        return None

    def date_id(self, handle: str) -> str | None:
        """The id of the date with ``handle`` that the view shows (the oldest of that handle)."""
        return next((date_id for name, date_id in self.date_ids if name == handle), None)

    def fingerprint(self) -> str:
        """A digest of everything reconcile can manage on this profile: changes when it moves.

        A soft delete or a restore moves it too (the type is left out while the profile is
        live, so live profiles keep the fingerprints they always had). Unset scalar fields are
        digested as nulls, as they were when the view held them: plans saved before keep
        applying.
        """
        fields = self.fields
        view = {**_UNSET_SCALARS, **(fields.as_dict() if isinstance(fields, Fields) else fields)}
        state: list[Any] = [self.id, view] if not self.deleted else [self.id, DELETED_TYPE, view]
        if self.unreadable is not None:
            state.append(["unreadable", self.unreadable.field, self.unreadable.received])
        payload = json.dumps(state, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(payload.encode()).hexdigest()[:16]


_ALL_FIELDS = set(ObservedProfile.model_fields)
_UNSET_SCALARS: dict[str, JsonValue] = dict.fromkeys(SCALAR_FIELDS)


def _identity(number: str, handle: str, identifier: str) -> Identity:
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
