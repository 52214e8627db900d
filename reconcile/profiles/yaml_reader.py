"""The one seam for PyYAML: text → plain data, and the lines of what it holds, for messages.

A file is read by the fast path first (:mod:`reconcile.profiles.yaml_plain`: plain files, built
from the parser's events), else through PyYAML's node tree (:mod:`reconcile.profiles.yaml_tree`:
any file, every problem). ``RECONCILE_NO_FAST_PATHS=1`` (:mod:`reconcile.fastpaths`) reads every
file through the node tree, with PyYAML's own tag resolution. Hostile input is refused while
building, never expanded: nesting deeper than a limit, and alias bombs. PyYAML's exceptions become
:class:`YamlProblem` here.

>>> data, node = YamlReader(Limits()).parse("key: jane")
>>> data, YamlReader(Limits()).line_of(node)
({'key': 'jane'}, 1)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml

from reconcile import fastpaths
from reconcile.errors import FileProblem, YamlProblem
from reconcile.model.mask import is_pii
from reconcile.profiles import yaml_plain
from reconcile.profiles.documents import DocumentReader
from reconcile.profiles.files import MIB
from reconcile.profiles.scalars import ambiguity
from reconcile.profiles.yaml_tree import Builder, path_to, resolve_quickly
from reconcile.profiles.yaml_tree import line as _line

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_CROSS_CHECKED = frozenset(("key", "state", "email", "mobile_phone"))
# Lists whose items checks across the tree name (``previous_keys.0``, ``tags.2``).
_LISTS_CHECKED = frozenset(("previous_keys", "tags"))
_LINED = _CROSS_CHECKED | _LISTS_CHECKED | {"identities"}


@dataclass(frozen=True)
class Limits:
    """Bounds that keep hostile input cheap to refuse."""

    max_file_bytes: int = 64 * MIB
    max_depth: int = 32
    values_per_byte: int = 10  # an alias may not expand a document beyond this many values a byte


class YamlReader(DocumentReader):
    """Parses with the C loader into plain data, keeping the node tree for line numbers."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self._tags: dict[str, str] = {}  # plain scalar → its resolved tag (field names repeat)

    @property
    def max_file_bytes(self) -> int:
        return self.limits.max_file_bytes

    def parse(self, text: str, *, fully: bool = False) -> tuple[Any, Any]:
        """Plain data and its node tree; every problem the reader finds is raised. ``fully``:
        through PyYAML's node tree even when the fast path could read the text."""
        data, node, located = self.parse_leniently(text, fully=fully)
        if located:
            ordered = sorted(located, key=lambda item: (item[1], item[2]))
            (where, line, message), *others = ordered
            also: list[FileProblem] = [
                YamlProblem(_shown(path, text), number) for path, number, text in others
            ]
            raise YamlProblem(_shown(where, message), line, also=also)
        return data, node

    def parse_leniently(self, text: str, *, fully: bool = False) -> tuple[Any, Any, list[Located]]:
        """Like ``parse``, but a field written twice and a value YAML 1.1 and 1.2 read apart are
        returned with their place (the value built as if quoted), so the rest can be checked."""
        budget = self.limits.values_per_byte * len(text) + 10_000
        if not fully and fastpaths.enabled():
            plain = yaml_plain.read_plain(_Loader(text), self._tags, self.limits.max_depth, budget)
            if plain is not None:  # most files: built from the parser's events (yaml_plain.py)
                return (*plain, [])
        return self.parse_fully(text, budget)

    def parse_fully(self, text: str, budget: int) -> tuple[Any, Any, list[Located]]:
        """``parse_leniently`` through PyYAML's node tree: any file, and every problem of it."""
        loader = _Loader(text)
        if fastpaths.enabled():
            resolve_quickly(loader, self._tags)
        try:
            node = loader.get_single_node()
            if node is None:
                return None, None, []
            builder = Builder(loader, max_depth=self.limits.max_depth, max_values=budget)
            data = builder.build(node, 0)
            located: list[Located] = [
                ((*path_to(node, mapping), name), line, message)
                for mapping, name, line, message in builder.duplicates
            ]
            for scalar, value, why in builder.ambiguous:
                where = path_to(node, scalar)
                personal = is_pii(".".join(_field_of(where)))
                message = why or ambiguity(scalar.value, value, personal=personal) or ""
                located.append((where, _line(scalar), message))
            return data, node, located
        except yaml.MarkedYAMLError as exc:
            raise _syntax_problem(exc) from None
        except yaml.YAMLError as exc:
            position = getattr(exc, "position", None)
            line = text.count("\n", 0, position) + 1 if isinstance(position, int) else 0
            raise YamlProblem(f"YAML cannot read this text: {_reason(exc)}", line) from None
        finally:
            loader.dispose()

    # A node is PyYAML's (the full reader's) or yaml_plain's (the fast path's), which answer alike.

    def line_at(self, node: Any, loc: tuple[str | int, ...]) -> tuple[bool, int]:
        return _line_at(node, loc) if _full(node) else yaml_plain.line_at(node, loc)

    def field_lines(self, node: Any) -> dict[str, int]:
        if _full(node):
            return _field_lines(node)
        return yaml_plain.field_lines(node, _LINED, _CROSS_CHECKED, _LISTS_CHECKED)

    def line_of(self, node: Any) -> int:
        return _line(node) if _full(node) else yaml_plain.line(node)

    def key_line(self, node: Any, name: str) -> int | None:
        if isinstance(node, yaml.MappingNode):
            # the last of duplicate keys: the one whose value the data holds
            return next((_line(k) for k, _ in reversed(node.value) if k.value == name), None)
        return yaml_plain.key_line(node, name)

    def items(self, node: Any) -> list[Any]:
        if isinstance(node, yaml.SequenceNode):
            return list(node.value)
        return yaml_plain.items(node)

    def value_node(self, node: Any, name: str) -> Any:
        if isinstance(node, yaml.MappingNode):
            return next((v for k, v in reversed(node.value) if k.value == name), None)
        return yaml_plain.value_node(node, name)


# A problem the reader found at a place in the data: (its path, its line, the message).
Located = tuple[tuple[str, ...], int, str]


def _field_of(where: tuple[str, ...]) -> tuple[str, ...]:
    """The field path within a profile (``profiles.0.email`` is ``email``)."""
    return where[2:] if where[:1] == ("profiles",) and len(where) > 1 else where


def _shown(where: tuple[str, ...], message: str) -> str:
    return f"{'.'.join(where) or 'value'}: {message}"


def _full(node: Any) -> bool:
    return node is None or isinstance(node, yaml.Node)


def _syntax_problem(exc: yaml.MarkedYAMLError) -> YamlProblem:
    mark = exc.problem_mark or exc.context_mark
    line = mark.line + 1 if mark else 0
    column = f" at column {mark.column + 1}" if mark else ""
    what = ", ".join(str(part) for part in (exc.context, exc.problem) if part)
    return YamlProblem(f"YAML syntax error{column}: {what}", line)


def _reason(exc: yaml.YAMLError) -> str:
    reason = getattr(exc, "reason", None)
    character = getattr(exc, "character", None)
    if reason and isinstance(character, str):
        return f"{reason} (character U+{ord(character):04X})"
    return str(reason or exc).splitlines()[0]


def _line_at(node: Any, loc: tuple[str | int, ...]) -> tuple[bool, int]:
    """The line of the value at ``loc`` below ``node``, and whether the whole path was found."""
    line = _line(node)
    for part in loc:
        if part == "[key]":
            break
        if isinstance(node, yaml.MappingNode):
            pair = next(((k, v) for k, v in node.value if k.value == str(part)), None)
            if pair is None:
                return False, line
            line, node = _line(pair[0]), pair[1]
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            if not 0 <= part < len(node.value):
                return False, line
            node = node.value[part]
            line = _line(node)
        else:
            return False, line
    return True, line


def _field_lines(node: Any) -> dict[str, int]:
    """Lines of the fields that checks across the tree name (key, email, mobile, identities,
    previous keys and tags)."""
    lines: dict[str, int] = {}
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            name = key_node.value
            if name not in _LINED:
                continue
            if name in _CROSS_CHECKED:
                lines[name] = key_node.start_mark.line + 1
            if name == "identities" and isinstance(value_node, yaml.MappingNode):
                for handle_node, _ in value_node.value:
                    lines[f"identities.{handle_node.value}"] = handle_node.start_mark.line + 1
            if name in _LISTS_CHECKED and isinstance(value_node, yaml.SequenceNode):
                lines[name] = key_node.start_mark.line + 1
                for index, item in enumerate(value_node.value):
                    lines[f"{name}.{index}"] = item.start_mark.line + 1
    return lines
