"""Checks across the whole tree: one key, email, mobile or identity per declared profile.

Omneo holds each email, mobile number and (handle, identifier) pair on at most one profile, so two
declarations claiming the same one could never both be applied; a key declared alive and as a
tombstone is a contradiction; a previous key (a rename) that is also a current key, or that two
declarations list, is ambiguous. Each is reported at the second claim, naming the first.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from sys import intern

from reconcile.errors import Problem
from reconcile.model.declaration import Declaration
from reconcile.model.fields import JsonValue, UniqueValue, path


class Outline:
    """What a plan needs of a declaration outside its shard: its key, state, previous keys and
    unique values (the checks across the tree, and the conflicts another shard's profile can
    cause here). A few hundred bytes, where a :class:`Declaration` holds the whole profile."""

    __slots__ = ("_names", "_values", "key", "previous_keys", "state")

    key: str
    state: str
    previous_keys: tuple[str, ...]
    erasure_reference = None

    def __init__(self, profile: Declaration | Outline) -> None:
        self.key = profile.key
        self.state = intern(profile.state)
        self.previous_keys = profile.previous_keys
        # Names and values apart: the names' tuple is shared, and no pair is kept per value.
        self._names = _shared(tuple(name for name, _ in profile.unique))
        self._values = tuple(value for _, value in profile.unique)

    @property
    def unique(self) -> tuple[UniqueValue, ...]:
        return tuple(zip(self._names, self._values, strict=True))

    @property
    def is_tombstone(self) -> bool:
        return self.state != "present"

    @property
    def names(self) -> tuple[str, ...]:
        return self._names

    @property
    def view(self) -> Mapping[str, JsonValue]:
        """The unique values only (all a conflict names of a profile outside the shard)."""
        return dict(self.unique)

    def __repr__(self) -> str:
        return f"Outline(key={self.key!r}, state={self.state!r})"


@dataclass(frozen=True, slots=True)
class LoadedProfile:
    """A validated profile, where it was declared, the lines of the fields checked here, and its
    tags as written (before normalising, for the spelling warnings)."""

    profile: Declaration | Outline
    file: str
    line: int
    lines: Mapping[str, int] = field(default_factory=dict)
    tags: tuple[str, ...] = ()

    def line_of(self, path: str) -> int:
        return self.lines.get(path, self.line)


def outlined(item: LoadedProfile, keep: Callable[[str], bool]) -> LoadedProfile:
    """``item`` as it is, when ``keep`` selects its key; else its outline, with only the lines
    the checks across the tree name (key, previous keys, tags, unique values)."""
    profile = item.profile
    if keep(profile.key):
        return item
    names = {name for name, _ in profile.unique}
    lines = {
        name: line
        for name, line in item.lines.items()
        if name == "key" or name in names or name.startswith(("previous_keys.", "tags."))
    }
    tags = _shared(tuple(intern(tag) for tag in item.tags))
    compact = Offsets.of(lines, item.line)
    return LoadedProfile(Outline(profile), intern(item.file), item.line, compact, tags)


# One copy of each tuple of names or tags that many outlines share (a million outlines mostly
# repeat a few shapes).
_SHARED: dict[tuple[str, ...], tuple[str, ...]] = {}


def _shared(names: tuple[str, ...]) -> tuple[str, ...]:
    return _SHARED.setdefault(names, names)


class Offsets(Mapping[str, int]):
    """Field lines as offsets from the profile's first line, one byte each: an outline's lines
    in a tenth of a dict's memory (a dict when an offset does not fit a byte)."""

    __slots__ = ("_names", "_offsets", "_start")

    def __init__(self, names: tuple[str, ...], start: int, offsets: bytes) -> None:
        self._names, self._start, self._offsets = names, start, offsets

    @classmethod
    def of(cls, lines: dict[str, int], start: int) -> Mapping[str, int]:
        offsets = [line - start for line in lines.values()]
        if not all(0 <= offset < 256 for offset in offsets):
            return lines
        return cls(_shared(tuple(lines)), start, bytes(offsets))

    def __getitem__(self, name: str) -> int:
        try:
            return self._start + self._offsets[self._names.index(name)]
        except ValueError:
            raise KeyError(name) from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)


def check_unique(
    loaded: list[LoadedProfile], *, owner_handle: str | None = None
) -> tuple[list[LoadedProfile], list[Problem]]:
    """The profiles with a unique key (first wins) and every problem of uniqueness found.

    ``owner_handle`` is reconcile's own identity handle (identifier = the key): a declaration
    may not set it, or two keys could claim one profile.
    """
    problems: list[Problem] = []
    by_key: dict[str, LoadedProfile] = {}
    for item in loaded:
        first = by_key.get(item.profile.key)
        if first is None:
            by_key[item.profile.key] = item
        else:
            problems.append(_duplicate_key(first, item))
    problems += _previous_keys(by_key)
    # By name, then value: no (name, value) pair is kept per claim (an outline makes its pairs
    # when asked, and a million of them would all stay alive here).
    claims: dict[str, dict[JsonValue, LoadedProfile]] = {}
    for item in by_key.values():
        if owner_handle and (owned := path("identities", owner_handle)) in item.profile.names:
            message = (
                f"the handle {owner_handle!r} is reconcile's owner identity (its identifier is "
                "the key, set by reconcile); remove it from the declaration"
            )
            problems.append(
                Problem(item.file, item.line_of(owned), item.profile.key, owned, message)
            )
        for name, value in item.profile.unique:
            first = claims.setdefault(name, {}).setdefault(value, item)
            if first is not item:
                where = f"{first.file}:{first.line_of(name)}"
                message = f"also claimed by {first.profile.key!r} at {where}; {_rule(name)}"
                problems.append(
                    Problem(item.file, item.line_of(name), item.profile.key, name, message)
                )
    return list(by_key.values()), problems


def _previous_keys(by_key: dict[str, LoadedProfile]) -> list[Problem]:
    """A previous key names one earlier profile: never a current key, never claimed twice."""
    problems: list[Problem] = []
    claimed: dict[str, tuple[LoadedProfile, str]] = {}
    for item in by_key.values():
        for index, old in enumerate(item.profile.previous_keys):
            path = f"previous_keys.{index}"
            current = by_key.get(old)
            first = claimed.setdefault(old, (item, path))
            if current is not None:
                where = f"{current.file}:{current.line_of('key')}"
                message = (
                    f"{old!r} is the key of a profile declared at {where}; a key is either "
                    "current or previous: remove it here, or rename that profile"
                )
            elif first[0] is not item:
                where = f"{first[0].file}:{first[0].line_of(first[1])}"
                message = (
                    f"{old!r} is also a previous key of {first[0].profile.key!r} at {where}; "
                    "one managed profile can become only one declared profile"
                )
            else:
                continue
            problems.append(Problem(item.file, item.line_of(path), item.profile.key, path, message))
    return problems


def _rule(path: str) -> str:
    if path.startswith("identities."):
        return "Omneo allows one profile per identity"
    return "Omneo allows one profile per " + ("email" if path == "email" else "mobile number")


def _duplicate_key(first: LoadedProfile, second: LoadedProfile) -> Problem:
    where = f"{first.file}:{first.line}"
    states = (first.profile.is_tombstone, second.profile.is_tombstone)
    if states == (False, True):
        message = f"a tombstone for a key declared alive at {where}; keep only one of them"
    elif states == (True, False):
        message = f"declared alive, but {where} holds a tombstone for it; keep only one of them"
    else:
        message = f"duplicate key; first declared at {where}"
    return Problem(second.file, second.line_of("key"), second.profile.key, "key", message)
