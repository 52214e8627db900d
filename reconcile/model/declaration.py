"""A declared profile in the form a plan needs: :class:`Declaration`.

A plan reads a declaration's key, state, previous keys, flat view and unique values, nothing else.
The full :class:`~reconcile.model.desired.DesiredProfile` (its pydantic models, several times the
size) is kept only as its JSON dump and revived when something needs it: apply building a
request body, ``export`` or a library caller. A large tree so holds a compact record each, and an
unchanged tree is read back from the parse cache without building a model at all
(docs/performance.md).

>>> jane = Declaration.of(DesiredProfile.model_validate({"key": "jane", "email": "Jane@X.io"}))
>>> jane.key, jane.view, jane.unique
('jane', {'email': 'jane@x.io'}, (('email', 'jane@x.io'),))
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

from reconcile.model.desired import DesiredProfile, revive
from reconcile.model.fields import JsonValue, UniqueValue, unique_values


class Declaration:
    """One declared profile: ``view`` is its flat view (read-only: shared, never copied)."""

    __slots__ = ("_dump", "erasure_reference", "key", "previous_keys", "state", "unique", "view")

    key: str
    state: str
    previous_keys: tuple[str, ...]
    erasure_reference: str | None
    view: Mapping[str, JsonValue]
    unique: tuple[UniqueValue, ...]
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
        self.view = view
        if unique is None:
            unique = () if state != "present" else tuple(unique_values(view))
        self.unique = unique
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
        """What the parse cache stores: plain JSON, read back by :meth:`from_entry`."""
        return {
            "key": self.key,
            "state": self.state,
            "previous_keys": list(self.previous_keys),
            "erasure": self.erasure_reference,
            "view": self.view,
            "unique": [name for name, _ in self.unique],
            "dump": self._dump,
        }

    @classmethod
    def from_entry(cls, entry: Mapping[str, Any]) -> Declaration:
        """Back from :meth:`entry` (validated when first read, checksummed by the cache since)."""
        erasure = entry["erasure"]
        return cls(
            key=str(entry["key"]),
            state=str(entry["state"]),
            previous_keys=tuple(str(key) for key in entry["previous_keys"]),
            erasure_reference=None if erasure is None else str(erasure),
            view=entry["view"],  # fresh from json.loads: no copy needed
            dump=str(entry["dump"]),
            # The values are the view's own objects, not copies (memory: docs/performance.md).
            unique=tuple((intern(name), entry["view"][name]) for name in entry["unique"]),
        )

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
        return self.key == other.key and self._dump == other._dump and self.view == other.view

    __hash__ = None  # type: ignore[assignment]  # equal by value, and the view is mutable

    def __repr__(self) -> str:
        return f"Declaration(key={self.key!r}, state={self.state!r})"
