"""The YAML reader's full path: PyYAML's node tree → plain data, for any file and its problems.

Part of the PyYAML seam (:mod:`reconcile.profiles.yaml_reader` reads with it when the fast path,
:mod:`reconcile.profiles.yaml_plain`, gives up). Hostile input is refused while building, never
expanded: nesting deeper than a limit, and alias bombs (each alias adds the size of what it
names; the build stops past a budget). Values YAML 1.1 and 1.2 read differently are collected
(:mod:`reconcile.profiles.scalars`) with the node where each was found.
"""

from __future__ import annotations

import operator
from typing import Any

import yaml

from reconcile.errors import YamlProblem
from reconcile.profiles.scalars import AGREED_BOOLS, NUMBER_START, PLAIN_DECIMAL, ambiguity

_TAG = "tag:yaml.org,2002:"
_MERGE = _TAG + "merge"
_STR = _TAG + "str"
_INT = _TAG + "int"
_BOOL = _TAG + "bool"
_SCALAR = yaml.ScalarNode
_TAGS_KEPT = 4096


def resolve_quickly(loader: Any, tags: dict[str, str]) -> None:
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


class Builder:
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
        # Fields written twice: (their mapping, the field, its line, the message).
        self.duplicates: list[tuple[yaml.Node, str, int, str]] = []
        # Values YAML 1.1 and 1.2 read apart: (node, YAML 1.1's reading, a message if fixed);
        # each is built as its text, as if quoted, so the rest of the file can be checked.
        self.ambiguous: list[tuple[yaml.Node, Any, str | None]] = []
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
            raise YamlProblem("an alias refers to a value that contains it (a loop)", line(node))
        if depth > self.max_depth:
            raise YamlProblem(f"nested more than {self.max_depth} levels deep", line(node))
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
            raise unsupported(node)
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
        if text[:1] in NUMBER_START and not node.style and ambiguity(text, text):
            self.ambiguous.append((node, text, None))
        return text

    def _count(self, size: int, node: yaml.Node) -> None:
        self.values += size
        if self.values > self.max_values:
            raise YamlProblem(
                "aliases expand this document beyond "
                f"{self.max_values:,} values; YAML alias bombs are refused",
                line(node),
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
                raise YamlProblem("a field name must be plain text", line(key_node))
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
            if text[:1] in NUMBER_START and not value_node.style and ambiguity(text, text):
                self.ambiguous.append((value_node, text, None))
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
                raise YamlProblem("a field name must be plain text", line(key_node))
            name = str(key_node.value)
            if name in seen:
                self._duplicate(node, key_node)
            seen.add(name)
            result[name] = self.build(value_node, depth + 1)
        return result

    def _duplicate(self, node: yaml.MappingNode, key_node: yaml.Node) -> None:
        first = next(k for k, _ in node.value if k.value == key_node.value)
        message = f"{key_node.value!r} appears twice (first at line {line(first)})"
        self.duplicates.append((node, str(key_node.value), line(key_node), message))

    def _merge_sources(self, node: yaml.Node, depth: int) -> list[dict[str, Any]]:
        nodes = node.value if isinstance(node, yaml.SequenceNode) else [node]
        sources = [self.build(item, depth + 1) for item in nodes]
        if not all(isinstance(source, dict) for source in sources):
            raise YamlProblem("a merge (<<) needs a mapping or a list of mappings", line(node))
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
            raise unsupported(node)
        try:
            value = construct(node)
        except ValueError:  # PyYAML resolves 0x_ as an int, then cannot build it
            why = f'{text} looks like a number and is none: quote it ("{text}")'
            self.ambiguous.append((node, text, why))
            return text
        if ambiguity(text, value):
            self.ambiguous.append((node, value, None))
            return text
        return value

    def _tag(self, node: yaml.Node, kind: str) -> None:
        if node.tag != _TAG + kind:
            raise unsupported(node)


def unsupported(node: yaml.Node) -> YamlProblem:
    tag = str(node.tag).replace(_TAG, "!!")
    return YamlProblem(f"the YAML tag {tag} is not supported in profiles", line(node))


def path_to(root: yaml.Node, target: yaml.Node) -> tuple[str, ...]:
    """The field path (``("custom_attributes", "loyalty", "code")``) of ``target`` below ``root``.

    Only called for a refused value, so a walk of the tree costs nothing on valid files.
    """
    stack: list[tuple[yaml.Node, tuple[str, ...]]] = [(root, ())]
    seen: set[int] = set()
    while stack:
        node, where = stack.pop()
        if node is target:
            return where
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            stack += [(v, (*where, str(k.value))) for k, v in node.value]
        elif isinstance(node, yaml.SequenceNode):
            stack += [(v, (*where, str(i))) for i, v in enumerate(node.value)]
    return ()


def plain_scalars(root: yaml.Node) -> list[tuple[str, int]]:
    """Each plain (unquoted) scalar below ``root``, with its line."""
    found: list[tuple[str, int]] = []
    stack, seen = [root], set()
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, yaml.ScalarNode) and not node.style:
            found.append((str(node.value), line(node)))
        elif isinstance(node, yaml.MappingNode):
            stack += [part for pair in node.value for part in pair]
        elif isinstance(node, yaml.SequenceNode):
            stack += node.value
    return found


def line(node: Any) -> int:
    return int(node.start_mark.line) + 1 if node is not None else 1
