"""Checks across the whole tree: one key, email, mobile or identity per declared profile.

Omneo holds each email, mobile number and (handle, identifier) pair on at most one profile, so two
declarations claiming the same one could never both be applied; a key declared alive and as a
tombstone is a contradiction; a previous key (a rename) that is also a current key, or that two
declarations list, is ambiguous. Each is reported at the second claim, naming the first.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from itertools import pairwise
from sys import intern

from reconcile.errors import Problem
from reconcile.model.declaration import Declaration, shared
from reconcile.model.fields import JsonValue, UniqueValue, path

# A unique value's 64-bit digest: an outline keeps these, not the values, and the checks compare
# them; an equal digest is confirmed on the real values (re-read from the file), so a collision
# costs a re-read, never a wrong report. ``hash`` is salted per process: digests live in one.
Digest = Callable[[UniqueValue], int]
value_digest: Digest = hash
Resolve = Callable[["Outline"], tuple[UniqueValue, ...]]


class Outline:
    """What a plan needs of a declaration outside its shard: its key, state, previous keys, the
    names of its unique values and their digests (the checks across the tree, and the conflicts
    another shard's profile can cause here). About 200 bytes, where a :class:`Declaration` holds
    the whole profile; the values themselves are read again from ``file`` when asked for."""

    __slots__ = ("_digests", "_names", "_resolve", "file", "key", "previous_keys", "state")

    key: str
    state: str
    previous_keys: tuple[str, ...]
    file: str
    erasure_reference = None

    def __init__(
        self,
        profile: Declaration | Outline,
        file: str,
        resolve: Resolve,
        digest: Digest = value_digest,
    ) -> None:
        self.key = profile.key
        self.state = intern(profile.state)
        self.previous_keys = profile.previous_keys
        self.file = intern(file)
        self._resolve = resolve
        pairs = tuple(digests_of(profile, digest))
        # The names' tuple is shared; the digests packed, 8 bytes each.
        self._names = shared(tuple(name for name, _ in pairs))
        self._digests = array("q", (value for _, value in pairs)).tobytes()

    @property
    def unique_names(self) -> tuple[str, ...]:
        """The names of its unique values, as :attr:`Declaration.unique_names` gives them."""
        return self._names

    @property
    def digests(self) -> tuple[int, ...]:
        return tuple(array("q", self._digests))

    @property
    def unique(self) -> tuple[UniqueValue, ...]:
        """The unique values, read again from the file (asked only when a digest matches)."""
        return self._resolve(self)

    @property
    def is_tombstone(self) -> bool:
        return self.state != "present"

    @property
    def view(self) -> Mapping[str, JsonValue]:
        """The unique values only (all a conflict names of a profile outside the shard)."""
        return dict(self.unique)

    def __repr__(self) -> str:
        return f"Outline(key={self.key!r}, state={self.state!r})"


def digests_of(
    profile: Declaration | Outline, digest: Digest = value_digest
) -> Iterator[tuple[str, int]]:
    """Each unique value's name and digest (an outline's as it keeps them)."""
    if isinstance(profile, Outline):
        return zip(profile.unique_names, profile.digests, strict=True)
    return zip(profile.unique_names, map(digest, profile.unique), strict=True)


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


def outlined(
    item: LoadedProfile,
    keep: Callable[[str], bool],
    resolve: Resolve,
    digest: Digest = value_digest,
) -> LoadedProfile:
    """``item`` as it is, when ``keep`` selects its key; else its outline, with only the lines
    the checks across the tree name (key, previous keys, tags, unique values). ``resolve``
    reads an outline's values again (from its file)."""
    profile = item.profile
    if keep(profile.key):
        return item
    outline = Outline(profile, item.file, resolve, digest)
    names = set(outline.unique_names)
    lines = {
        name: line
        for name, line in item.lines.items()
        if name == "key" or name in names or name.startswith(("previous_keys.", "tags."))
    }
    tags = shared(tuple(intern(tag) for tag in item.tags))
    compact = Offsets.of(lines, item.line)
    return LoadedProfile(outline, outline.file, item.line, compact, tags)


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
        return cls(shared(tuple(lines)), start, bytes(offsets))

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
    loaded: list[LoadedProfile],
    *,
    owner_handle: str | None = None,
    digest: Digest = value_digest,
) -> tuple[list[LoadedProfile], list[Problem]]:
    """The profiles with a unique key (first wins) and every problem of uniqueness found.

    ``owner_handle`` is reconcile's own identity handle (identifier = the key): a declaration
    may not set it, or two keys could claim one profile. ``digest`` is the one outlines were
    made with (injectable, to test what a collision does).
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
    kept = list(by_key.values())
    del by_key
    if owner_handle:
        owned = path("identities", owner_handle)
        message = (
            f"the handle {owner_handle!r} is reconcile's owner identity (its identifier is "
            "the key, set by reconcile); remove it from the declaration"
        )
        problems += [
            Problem(item.file, item.line_of(owned), item.profile.key, owned, message)
            for item in kept
            if owned in item.profile.unique_names
        ]
    return kept, problems + _claims(kept, digest)


def _claims(kept: list[LoadedProfile], digest: Digest) -> list[Problem]:
    """A unique value claimed twice, reported at the second claim naming the first.

    The digests of every claim are held in arrays (8 bytes a claim, where a dict of values
    held each value and its entry) and sorted a 256th at a time; only the digests seen twice
    are looked at again, on their real values, so a collision of digests is never reported."""
    buckets = [array("q") for _ in range(256)]
    for item in kept:
        for _, claim in digests_of(item.profile, digest):
            buckets[claim & 255].append(claim)
    repeated: set[int] = set()
    for bucket in buckets:
        ordered = sorted(bucket)
        repeated.update(each for each, after in pairwise(ordered) if each == after)
    del buckets
    problems: list[Problem] = []
    firsts: dict[UniqueValue, LoadedProfile] = {}
    for item in kept if repeated else ():
        names = {name for name, each in digests_of(item.profile, digest) if each in repeated}
        for name, value in item.profile.unique if names else ():
            first = firsts.setdefault((name, value), item) if name in names else item
            if first is not item:
                where = f"{first.file}:{first.line_of(name)}"
                message = f"also claimed by {first.profile.key!r} at {where}; {_rule(name)}"
                problems.append(
                    Problem(item.file, item.line_of(name), item.profile.key, name, message)
                )
    return problems


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
