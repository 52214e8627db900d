"""A declared profile in the form a plan needs: :class:`Declaration`.

A plan reads a declaration's key, state, previous keys, flat view and unique values, nothing else.
The full :class:`~reconcile.model.desired.DesiredProfile` (its pydantic models, several times the
size) is kept only as its JSON dump and revived when something needs it: apply building a
request body, ``export`` or a library caller. The flat view is held as the JSON of its values
beside a tuple of its names that every declaration of the same shape shares, and decoded when
asked for: an unchanged profile is compared without it (:meth:`Declaration.same_as`). A large
tree so holds a compact record each, and an unchanged tree is read back from the parse cache
without building a model or a view at all (docs/performance.md).

>>> jane = Declaration.of(DesiredProfile.model_validate({"key": "jane", "email": "Jane@X.io"}))
>>> jane.key, jane.view, jane.unique
('jane', {'email': 'jane@x.io'}, (('email', 'jane@x.io'),))
>>> jane.same_as({"email": "jane@x.io", "title": "Ms"}), jane.same_as({})
(True, False)
>>> jane.profile.email
'jane@x.io'
>>> Declaration.from_entry(jane.entry()) == jane
True
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from sys import intern
from typing import Any

from reconcile import codec
from reconcile.model.desired import DesiredProfile, revive
from reconcile.model.fields import JsonValue, UniqueValue, unique_values
from reconcile.model.observed import Fields


class Declaration:
    """One declared profile. Its flat view (:attr:`view`) is decoded when first asked for and
    kept; read-only: shared, never copied."""

    __slots__ = (
        "_dump",
        "_names",
        "_unique_names",
        "_unique_values",
        "_values",
        "_view",
        "erasure_reference",
        "key",
        "previous_keys",
        "state",
    )

    key: str
    state: str
    previous_keys: tuple[str, ...]
    erasure_reference: str | None
    _names: tuple[str, ...]
    _values: bytes
    _view: dict[str, JsonValue] | None
    _unique_names: tuple[str, ...]
    _unique_values: tuple[JsonValue, ...]
    _dump: str

    def __init__(
        self,
        *,
        key: str,
        state: str,
        previous_keys: tuple[str, ...],
        erasure_reference: str | None,
        view: Mapping[str, JsonValue],
        dump: str,
        unique: tuple[UniqueValue, ...] | None = None,
    ) -> None:
        self.key = key
        self.state = state
        self.previous_keys = previous_keys
        self.erasure_reference = erasure_reference
        self._names = shared(tuple(view))
        self._values = codec.encode(list(view.values()))
        self._view = None
        if unique is None:
            unique = () if state != "present" else tuple(unique_values(view))
        self._unique_names = shared(tuple(name for name, _ in unique))
        self._unique_values = tuple(value for _, value in unique)
        self._dump = dump

    @classmethod
    def of(cls, profile: DesiredProfile) -> Declaration:
        """The compact form of a validated profile."""
        return cls(
            key=profile.key,
            state=profile.state,
            previous_keys=profile.previous_keys,
            erasure_reference=profile.erasure.reference if profile.erasure else None,
            view=profile.flat_view(),
            # Serialised by pydantic-core in one step: a third of model_dump and json.dumps.
            dump=profile.model_dump_json(exclude_unset=True),
        )

    def entry(self) -> dict[str, Any]:
        """What the parse cache stores: plain JSON, read back by :meth:`from_entry`. The view's
        names and values are stored as JSON texts, so reading an entry back builds no view."""
        return {
            "key": self.key,
            "state": self.state,
            "previous_keys": list(self.previous_keys),
            "erasure": self.erasure_reference,
            "names": names_text(self._names),
            "values": self._values.decode(),
            "unique": list(self._unique_names),
            "unique_values": list(self._unique_values),
            "dump": self._dump,
        }

    @classmethod
    def from_entry(cls, entry: Mapping[str, Any]) -> Declaration:
        """Back from :meth:`entry` (validated when first read, checksummed by the cache since)."""
        erasure = entry["erasure"]
        declaration = cls.__new__(cls)
        declaration.key = str(entry["key"])
        declaration.state = intern(str(entry["state"]))
        declaration.previous_keys = tuple(str(key) for key in entry["previous_keys"])
        declaration.erasure_reference = None if erasure is None else str(erasure)
        declaration._names = names_from_text(str(entry["names"]))
        declaration._values = str(entry["values"]).encode()
        declaration._view = None
        declaration._unique_names = shared(tuple(intern(name) for name in entry["unique"]))
        declaration._unique_values = tuple(entry["unique_values"])
        declaration._dump = str(entry["dump"])
        return declaration

    @property
    def view(self) -> Mapping[str, JsonValue]:
        """The flat view: names to normalised values (decoded on first use, then kept)."""
        if self._view is None:
            self._view = dict(zip(self._names, codec.decode(self._values), strict=True))
        return self._view

    @property
    def names(self) -> tuple[str, ...]:
        """The view's field names, in its order (without decoding the view)."""
        return self._names

    @property
    def unique_names(self) -> tuple[str, ...]:
        """The names of :attr:`unique`, in its order (a tuple that declarations share)."""
        return self._unique_names

    @property
    def unique(self) -> tuple[UniqueValue, ...]:
        """The set unique values, as :func:`unique_values` of the view gives them."""
        return tuple(zip(self._unique_names, self._unique_values, strict=True))

    def same_as(self, fields: Mapping[str, JsonValue]) -> bool:
        """Whether ``fields`` (an observed profile's view) holds every declared value: no field
        changes (:func:`~reconcile.plan.diff.changed_fields` is empty). The view is not built:
        an unchanged profile of a large tree never holds one."""
        if self._view is not None:
            return all(fields.get(name) == value for name, value in self._view.items())
        values: list[JsonValue] = codec.decode(self._values)
        picked = fields.pick(self._names) if isinstance(fields, Fields) else None
        if picked is not None:
            return tuple(values) == picked
        return values == [fields.get(name) for name in self._names]

    def holds_unique(self, fields: Mapping[str, JsonValue]) -> bool:
        """Whether ``fields`` (an observed profile's view) holds every declared unique value:
        such a profile keeps its own, and matching asks no more of them."""
        picked = fields.pick(self._unique_names) if isinstance(fields, Fields) else None
        if picked is not None:
            return picked == self._unique_values
        pairs = zip(self._unique_names, self._unique_values, strict=True)
        return all(fields.get(name) == value for name, value in pairs)

    @property
    def is_tombstone(self) -> bool:
        return self.state != "present"

    @property
    def profile(self) -> DesiredProfile:
        """The full model, revived from its dump (not kept: each call revives it again)."""
        return revive(json.loads(self._dump))

    def flat_view(self) -> dict[str, JsonValue]:
        """The flat view as a fresh dict the caller may change."""
        return dict(self.view)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Declaration):
            return NotImplemented
        return self.key == other.key and self._dump == other._dump and _view(self) == _view(other)

    __hash__ = None  # type: ignore[assignment]  # equal by value, and the view is mutable

    def __repr__(self) -> str:
        return f"Declaration(key={self.key!r}, state={self.state!r})"


def _view(declaration: Declaration) -> dict[str, JsonValue]:
    # Compared without keeping the decoded view (equality is for tests and callers, not plans).
    return dict(zip(declaration._names, codec.decode(declaration._values), strict=True))


# One copy of each tuple of names (or tags) that many declarations and outlines share (a large
# tree repeats a few shapes), and the JSON text each is stored as in the parse cache, both ways.
# Kept up to a bound: a tree of as many shapes as profiles gains nothing from sharing them, and
# `watch` runs for days.
_SHAPES: dict[tuple[str, ...], tuple[str, ...]] = {}
_TEXTS: dict[tuple[str, ...], str] = {}
_NAMES: dict[str, tuple[str, ...]] = {}
_KEPT = 4096


def shared(names: tuple[str, ...]) -> tuple[str, ...]:
    """The one kept copy of ``names`` (``names`` itself once the bound is reached)."""
    kept = _SHAPES.get(names)
    if kept is None:
        if len(_SHAPES) >= _KEPT:
            return names
        kept = _SHAPES[names] = names
    return kept


def names_text(names: tuple[str, ...]) -> str:
    """A tuple of names as the JSON text the parse cache stores it as (one text per shape)."""
    text = _TEXTS.get(names)
    if text is None:
        text = codec.encode(list(names)).decode()
        if len(_TEXTS) < _KEPT:
            _TEXTS[names] = text
    return text


def names_from_text(text: str) -> tuple[str, ...]:
    """Back from :func:`names_text`: the shared tuple of those names."""
    names = _NAMES.get(text)
    if names is None:
        names = shared(tuple(intern(str(name)) for name in codec.decode(text.encode())))
        if len(_NAMES) < _KEPT:
            _NAMES[text] = names
    return names
