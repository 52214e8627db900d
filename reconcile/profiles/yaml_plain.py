"""The YAML reader's fast path: a plain file built straight from PyYAML's events, with its lines.

Part of the PyYAML seam (:mod:`reconcile.profiles.yaml_reader` is the rest). Composing PyYAML's
node tree costs about as much as parsing: a Python object per node, called back from C. A plain
file needs none of what that tree is for (anchors, aliases, merge keys, tags, duplicate fields,
values that YAML 1.1 and 1.2 read apart, nesting past the limit), so it is built here from the
parser's events, each value keeping only its line in a light node (:class:`PlainMap`,
:class:`PlainSeq`, or the line itself for a scalar). At the first thing that is not plain,
:func:`read_plain` gives up (``None``) and the full reader reads the text again: every problem,
its message and its line stay the full reader's.

>>> import yaml
>>> data, node = read_plain(yaml.CSafeLoader("key: jane\\ntags: [a]"), {}, 32, 100)
>>> data, node.line, node.pairs[1][1], node.pairs[1][2].items
({'key': 'jane', 'tags': ['a']}, 1, 2, [2])
>>> read_plain(yaml.CSafeLoader("a: &x 1\\nb: *x"), {}, 32, 100) is None   # an anchor: not plain
True
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import yaml
from yaml.events import (
    DocumentEndEvent,
    DocumentStartEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
)

from reconcile.profiles.scalars import (
    AGREED_BOOLS,
    NUMBER_START,
    PLAIN_DECIMAL,
    PLAIN_FLOAT,
    ambiguity,
)

_TAG = "tag:yaml.org,2002:"
_STR, _INT, _FLOAT, _BOOL, _NULL, _TIMESTAMP = (
    _TAG + kind for kind in ("str", "int", "float", "bool", "null", "timestamp")
)
_KEPT = 4096  # plain scalars whose tag is remembered (field names, flags, small numbers)


class PlainMap:
    """A mapping's line and, per field in order, its name, the line of the name and its node."""

    __slots__ = ("line", "pairs")

    def __init__(self, line: int, pairs: list[tuple[str, int, Any]]) -> None:
        self.line = line
        self.pairs = pairs


class PlainSeq:
    """A list's line and its items' nodes."""

    __slots__ = ("items", "line")

    def __init__(self, line: int, items: list[Any]) -> None:
        self.line = line
        self.items = items


def read_plain(
    loader: Any, tags: dict[str, str], max_depth: int, max_values: int
) -> tuple[Any, Any] | None:
    """``(data, node)`` of a plain document whose root is a mapping, else ``None``.

    ``tags`` remembers the tag PyYAML resolves for a plain scalar (it depends only on the text).
    The loader is disposed of here.
    """
    reading = _Reading(loader, tags, max_depth)
    try:
        reading.get()  # the stream's start
        if type(reading.get()) is not DocumentStartEvent:
            return None  # empty: the full reader says so
        start = reading.get()
        if type(start) is not MappingStartEvent:
            return None  # a file that is not a mapping: refused by the full reader's messages
        read = reading.mapping(start, 0)
        if type(reading.get()) is not DocumentEndEvent or type(reading.get()) is not StreamEndEvent:
            return None  # another document follows
    except (yaml.YAMLError, RecursionError):
        return None
    finally:
        loader.dispose()
    return read if reading.values + 1 <= max_values else None  # the root is a value too


# Each reading below answers (value, node), or None for something only the full reader handles
# (or reports); None is passed up at once.


class _Reading:
    def __init__(self, loader: Any, tags: dict[str, str], max_depth: int) -> None:
        self.get: Callable[[], Any] = loader.get_event
        self.resolve = loader.resolve
        self.tags = tags
        self.max_depth = max_depth
        self.values = 0

    def mapping(self, start: Any, depth: int) -> tuple[dict[str, Any], PlainMap] | None:
        if start.anchor is not None or start.tag is not None or depth > self.max_depth:
            return None
        get, tags = self.get, self.tags
        result: dict[str, Any] = {}
        pairs: list[tuple[str, int, Any]] = []
        while type(key := get()) is not MappingEndEvent:
            at = key.start_mark.line + 1
            if type(key) is not ScalarEvent or key.anchor is not None or key.tag is not None:
                return None  # a list or mapping as a key, an anchored or tagged key
            name = key.value
            # a duplicate, or maybe a merge key (PyYAML's "<<", resolved on plain text)
            if name in result or (name[:1] == "<" and key.implicit[0]):
                return None
            event = get()
            mark = event.start_mark
            # Text, the commonest value, here: quoted, or plain and known to resolve to text.
            if type(event) is ScalarEvent and event.anchor is None and event.tag is None:
                text = event.value
                if not event.implicit[0] or (
                    tags.get(text) == _STR and text[:1] not in NUMBER_START
                ):
                    result[name] = text
                    pairs.append((name, at, mark.line + 1))
                    continue
            if (read := self.value(event, depth + 1)) is None:
                return None
            result[name] = read[0]
            pairs.append((name, at, read[1]))
        self.values += len(pairs)  # each value once, containers included
        return result, PlainMap(start.start_mark.line + 1, pairs)

    def sequence(self, start: Any, depth: int) -> tuple[list[Any], PlainSeq] | None:
        if start.anchor is not None or start.tag is not None or depth > self.max_depth:
            return None
        values: list[Any] = []
        nodes: list[Any] = []
        while type(event := self.get()) is not SequenceEndEvent:
            if (read := self.value(event, depth + 1)) is None:
                return None
            values.append(read[0])
            nodes.append(read[1])
        self.values += len(nodes)
        return values, PlainSeq(start.start_mark.line + 1, nodes)

    def value(self, event: Any, depth: int) -> tuple[Any, Any] | None:
        kind = type(event)
        if kind is MappingStartEvent:
            return self.mapping(event, depth)
        if kind is SequenceStartEvent:
            return self.sequence(event, depth)
        if kind is not ScalarEvent or event.anchor is not None or event.tag is not None:
            return None  # an alias, an anchored or tagged value
        text: str = event.value
        line = event.start_mark.line + 1
        if not event.implicit[0]:  # quoted: text
            return text, line
        tag = self.tags.get(text)
        if tag is None:
            tag = self.resolve(yaml.ScalarNode, text, event.implicit)
            if len(self.tags) < _KEPT:
                self.tags[text] = tag
        if tag == _STR:
            if text[:1] in NUMBER_START and ambiguity(text, text):
                return None
            return text, line
        if depth > self.max_depth:
            return None  # the full reader checks the depth of every value but text
        if tag == _INT and PLAIN_DECIMAL.fullmatch(text):
            return int(text), line
        if tag == _BOOL and text in AGREED_BOOLS:
            return AGREED_BOOLS[text], line
        if tag == _FLOAT and PLAIN_FLOAT.fullmatch(text):
            return float(text), line
        if tag == _NULL:
            return None, line
        if tag == _TIMESTAMP:
            return text, line  # the text: normalised where a date-time is expected
        return None  # "=", exponents, and what YAML 1.1 and 1.2 read apart


def line(node: Any) -> int:
    return node if type(node) is int else int(node.line)


def line_at(node: Any, loc: tuple[str | int, ...]) -> tuple[bool, int]:
    """As the full reader's: the line of the value at ``loc``, and whether all of it was found."""
    at = line(node)
    for part in loc:
        if part == "[key]":
            break
        if type(node) is PlainMap:
            pair = next((p for p in node.pairs if p[0] == str(part)), None)
            if pair is None:
                return False, at
            at, node = pair[1], pair[2]
        elif type(node) is PlainSeq and isinstance(part, int):
            if not 0 <= part < len(node.items):
                return False, at
            node = node.items[part]
            at = line(node)
        else:
            return False, at
    return True, at


def key_line(node: Any, name: str) -> int | None:
    if type(node) is PlainMap:
        # the last of duplicate keys: the one whose value the data holds
        return next((key_line for key, key_line, _ in reversed(node.pairs) if key == name), None)
    return None


def value_node(node: Any, name: str) -> Any:
    if type(node) is PlainMap:
        return next((value for key, _, value in reversed(node.pairs) if key == name), None)
    return None


def items(node: Any) -> list[Any]:
    return list(node.items) if type(node) is PlainSeq else []


def field_lines(
    node: Any, lined: frozenset[str], cross: frozenset[str], lists: frozenset[str]
) -> dict[str, int]:
    """As the full reader's: lines of the ``cross`` fields, of each identity, and of each of
    the ``lists`` and their items (``lined`` holds all of them)."""
    lines: dict[str, int] = {}
    if type(node) is PlainMap:
        for name, at, value in node.pairs:
            if name not in lined:
                continue
            if name in cross:
                lines[name] = at
            if name == "identities" and type(value) is PlainMap:
                for handle, handle_line, _ in value.pairs:
                    lines[f"identities.{handle}"] = handle_line
            if name in lists and type(value) is PlainSeq:
                lines[name] = at
                for index, item in enumerate(value.items):
                    lines[f"{name}.{index}"] = line(item)
    return lines
