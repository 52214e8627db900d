"""The one seam for PyYAML: text → plain data, keeping the node tree for line numbers.

Hostile input is refused while building, never expanded: nesting deeper than a limit, and alias
bombs (each alias adds the size of what it names; the build stops past a budget).

>>> data, node = YamlReader(Limits()).parse("key: jane")
>>> data, YamlReader(Limits()).line_of(node)
({'key': 'jane'}, 1)
"""

from __future__ import annotations

import operator
from dataclasses import dataclass
from typing import Any

import yaml

from reconcile.errors import YamlProblem
from reconcile.profiles import yaml_plain
from reconcile.profiles.declare import DocumentReader
from reconcile.profiles.files import MIB
from reconcile.profiles.scalars import AGREED_BOOLS, NUMBER_START, PLAIN_DECIMAL, ambiguity

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_TAG = "tag:yaml.org,2002:"
_MERGE = _TAG + "merge"
_STR = _TAG + "str"
_INT = _TAG + "int"
_BOOL = _TAG + "bool"
_SCALAR = yaml.ScalarNode
_TAGS_KEPT = 4096
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

    def parse(self, text: str) -> tuple[Any, Any]:
        budget = self.limits.values_per_byte * len(text) + 10_000
        plain = yaml_plain.read_plain(_Loader(text), self._tags, self.limits.max_depth, budget)
        if plain is not None:
            return plain  # most files: built from the parser's events (profiles/yaml_plain.py)
        return self.parse_fully(text, budget)

    def parse_fully(self, text: str, budget: int) -> tuple[Any, Any]:
        """``parse`` through PyYAML's node tree: any file, and every problem of it."""
        loader = _Loader(text)
        _resolve_quickly(loader, self._tags)
        try:
            node = loader.get_single_node()
            if node is None:
                return None, None
            builder = _Builder(loader, max_depth=self.limits.max_depth, max_values=budget)
            data = builder.build(node, 0)
            problems = builder.problems + [
                (_line(scalar), f"{_path_to(node, scalar)}: {why}")
                for scalar, why in builder.ambiguous
            ]
            if problems:
                (line, message), *others = sorted(problems)
                raise YamlProblem(message, line, also=[YamlProblem(m, n) for n, m in others])
            return data, node
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
            return next((_line(k) for k, _ in node.value if k.value == name), None)
        return yaml_plain.key_line(node, name)

    def items(self, node: Any) -> list[Any]:
        if isinstance(node, yaml.SequenceNode):
            return list(node.value)
        return yaml_plain.items(node)

    def value_node(self, node: Any, name: str) -> Any:
        if isinstance(node, yaml.MappingNode):
            return next((v for k, v in node.value if k.value == name), None)
        return yaml_plain.value_node(node, name)


def _full(node: Any) -> bool:
    return node is None or isinstance(node, yaml.Node)


def _resolve_quickly(loader: Any, tags: dict[str, str]) -> None:
    """Give ``loader`` PyYAML's tag resolution, cheaper: the C composer calls three Python
    methods back for every node, a quarter of its time on Omneo-shaped profiles.

    Without path resolvers (the safe loader has none) PyYAML's ``descend_resolver`` and
    ``ascend_resolver`` do nothing, and ``resolve`` answers from the value alone: a plain scalar's
    tag depends only on its text, so it is remembered (field names repeat in every profile); a
    quoted scalar is always text. Anything else is asked of PyYAML as before.
    """
    if loader.yaml_path_resolvers:
        return
    resolve = loader.resolve
    default = loader.DEFAULT_SCALAR_TAG

    def resolve_quickly(kind: Any, value: Any, implicit: tuple[bool, bool]) -> Any:
        if kind is _SCALAR:
            if not implicit[0]:
                return default
            tag = tags.get(value)
            if tag is None:
                tag = resolve(kind, value, implicit)
                if len(tags) < _TAGS_KEPT:
                    tags[value] = tag
            return tag
        return resolve(kind, value, implicit)

    loader.resolve = resolve_quickly
    loader.descend_resolver = operator.is_  # called with (parent, index); C, and does nothing
    loader.ascend_resolver = tuple  # called with nothing; C, and does nothing


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


class _Builder:
    """Builds plain data from composed nodes, iteratively bounded in depth and total size.

    Aliases share the node they name, so a document stays small however often it repeats an
    anchor; its *expansion* is what would explode downstream. Each alias adds the size of the
    value it names, and the build stops once the total passes ``max_values``.
    """

    def __init__(self, loader: Any, *, max_depth: int, max_values: int) -> None:
        self.loader = loader
        self.max_depth = max_depth
        self.max_values = max_values
        self.values = 0
        self.built: dict[int, Any] = {}
        self.sizes: dict[int, int] = {}
        self.active: set[int] = set()
        self.problems: list[tuple[int, str]] = []
        self.ambiguous: list[tuple[yaml.Node, str]] = []  # values YAML 1.1 and 1.2 differ on
        self.constructors = {
            _TAG + "bool": loader.construct_yaml_bool,
            _TAG + "int": loader.construct_yaml_int,
            _TAG + "float": loader.construct_yaml_float,
        }

    def build(self, node: yaml.Node, depth: int) -> Any:
        if node.tag == _STR and type(node) is _SCALAR:  # most values: just count them
            return self._text(node)
        ident = id(node)
        if ident in self.built:
            self._count(self.sizes[ident], node)
            return self.built[ident]
        if ident in self.active:
            raise YamlProblem("an alias refers to a value that contains it (a loop)", _line(node))
        if depth > self.max_depth:
            raise YamlProblem(f"nested more than {self.max_depth} levels deep", _line(node))
        before = self.values
        self._count(1, node)
        self.active.add(ident)
        if isinstance(node, yaml.MappingNode):
            value: Any = self._mapping(node, depth)
        elif isinstance(node, yaml.SequenceNode):
            self._tag(node, "seq")
            value = [
                self._text(item) if item.tag == _STR and type(item) is _SCALAR else
                self.build(item, depth + 1)
                for item in node.value
            ]  # fmt: skip
        elif isinstance(node, yaml.ScalarNode):
            value = self._scalar(node)
        else:
            raise _unsupported(node)
        self.active.discard(ident)
        self.built[ident] = value
        self.sizes[ident] = self.values - before
        return value

    def _text(self, node: yaml.ScalarNode) -> str:
        """A value resolved as text: counted, and refused when YAML 1.2 would read a number."""
        self.values += 1
        if self.values > self.max_values:
            self._count(0, node)
        text: str = node.value
        if text[:1] in NUMBER_START and not node.style and (why := ambiguity(text, text)):
            self.ambiguous.append((node, why))
        return text

    def _count(self, size: int, node: yaml.Node) -> None:
        self.values += size
        if self.values > self.max_values:
            raise YamlProblem(
                "aliases expand this document beyond "
                f"{self.max_values:,} values; YAML alias bombs are refused",
                _line(node),
            )

    def _mapping(self, node: yaml.MappingNode, depth: int) -> dict[str, Any]:
        self._tag(node, "map")
        pairs = node.value
        for key_node, _ in pairs:
            if key_node.tag == _MERGE:
                return self._merged_mapping(node, depth)
        # No merge: the common case, in one pass (a field already in the result is a duplicate).
        result: dict[str, Any] = {}
        for key_node, value_node in pairs:
            if not isinstance(key_node, yaml.ScalarNode):
                raise YamlProblem("a field name must be plain text", _line(key_node))
            name = key_node.value
            if name in result:
                self._duplicate(node, key_node)
            if value_node.tag != _STR or type(value_node) is not _SCALAR:
                result[name] = self.build(value_node, depth + 1)
                continue
            # self._text(value_node), inlined: most values are text
            self.values += 1
            if self.values > self.max_values:
                self._count(0, value_node)
            text = value_node.value
            if text[:1] in NUMBER_START and not value_node.style and (why := ambiguity(text, text)):
                self.ambiguous.append((value_node, why))
            result[name] = text
        return result

    def _merged_mapping(self, node: yaml.MappingNode, depth: int) -> dict[str, Any]:
        """A mapping with merge keys (``<<``): what they merge first, then its own fields."""
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE:
                for source in reversed(self._merge_sources(value_node, depth)):
                    result.update(source)
        seen: set[str] = set()
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE:
                continue
            if not isinstance(key_node, yaml.ScalarNode):
                raise YamlProblem("a field name must be plain text", _line(key_node))
            name = str(key_node.value)
            if name in seen:
                self._duplicate(node, key_node)
            seen.add(name)
            result[name] = self.build(value_node, depth + 1)
        return result

    def _duplicate(self, node: yaml.MappingNode, key_node: yaml.Node) -> None:
        first = next(k for k, _ in node.value if k.value == key_node.value)
        message = f"{key_node.value!r} appears twice (first at line {_line(first)})"
        self.problems.append((_line(key_node), message))

    def _merge_sources(self, node: yaml.Node, depth: int) -> list[dict[str, Any]]:
        nodes = node.value if isinstance(node, yaml.SequenceNode) else [node]
        sources = [self.build(item, depth + 1) for item in nodes]
        if not all(isinstance(source, dict) for source in sources):
            raise YamlProblem("a merge (<<) needs a mapping or a list of mappings", _line(node))
        return sources

    def _scalar(self, node: yaml.ScalarNode) -> Any:
        tag, text = node.tag, node.value
        # Short decimals and true/false, which YAML 1.1 and 1.2 read alike: no need to ask both.
        if tag == _INT and PLAIN_DECIMAL.fullmatch(text):
            return int(text)
        if tag == _BOOL and text in AGREED_BOOLS:
            return AGREED_BOOLS[text]
        if tag == _TAG + "timestamp":
            return node.value  # the text: normalised where a date-time is expected
        if tag == _TAG + "null":
            return None
        if tag == _TAG + "value" and not node.style:
            return node.value  # a plain "=": text to YAML 1.2
        construct = self.constructors.get(tag)
        if construct is None:
            raise _unsupported(node)
        try:
            value = construct(node)
        except ValueError:  # PyYAML resolves 0x_ as an int, then cannot build it
            self.ambiguous.append(
                (node, f'{text} looks like a number and is none: quote it ("{text}")')
            )
            return text
        if why := ambiguity(text, value):
            self.ambiguous.append((node, why))
        return value

    def _tag(self, node: yaml.Node, kind: str) -> None:
        if node.tag != _TAG + kind:
            raise _unsupported(node)


def _unsupported(node: yaml.Node) -> YamlProblem:
    tag = str(node.tag).replace(_TAG, "!!")
    return YamlProblem(f"the YAML tag {tag} is not supported in profiles", _line(node))


def _path_to(root: yaml.Node, target: yaml.Node) -> str:
    """The field path (``custom_attributes.loyalty.code``) of ``target`` below ``root``.

    Only called for a refused value, so a walk of the tree costs nothing on valid files.
    """
    stack: list[tuple[yaml.Node, tuple[str, ...]]] = [(root, ())]
    seen: set[int] = set()
    while stack:
        node, where = stack.pop()
        if node is target:
            return ".".join(where) or "value"
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            stack += [(v, (*where, str(k.value))) for k, v in node.value]
        elif isinstance(node, yaml.SequenceNode):
            stack += [(v, (*where, str(i))) for i, v in enumerate(node.value)]
    return "value"


def _line(node: Any) -> int:
    return int(node.start_mark.line) + 1 if node is not None else 1


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
