"""Write YAML that people keep editing: the one seam for ruamel.yaml (round-trip mode).

``export`` creates new files and updates files that already exist. An update changes only the
values that moved and keeps everything else of the file as it was: comments, key order, quoting,
flow-style lists and indentation.

>>> doc = new_document({"key": "jane", "tags": ["vip"]}, header="Exported from tenant local.")
>>> print(dumps(doc), end="")
# Exported from tenant local.
key: jane
tags: [vip]

Strings that a YAML 1.1 reader (PyYAML, which ``loader`` uses) would read as something else, such
as ``"7391000999"``, ``"+61412345678"``, ``"yes"`` or a timestamp, are always written quoted.
"""

from __future__ import annotations

import io
import itertools
import os
import re
import tempfile
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError
from ruamel.yaml.scalarstring import DoubleQuotedScalarString
from ruamel.yaml.util import load_yaml_guess_indent

from reconcile.errors import YamlWriteError

# A plain (unquoted) scalar that every YAML reader reads back as this very string.
_PLAIN_SAFE = re.compile(r"[^\W\d_][\w .@'/+-]*")
_YAML11_WORDS = {"yes", "no", "true", "false", "on", "off", "null", "y", "n", "~"}
_FIRST_KEYS = ("key", "state")  # written first; every other key is sorted


@dataclass
class Document:
    """A YAML document, with the indentation it was written with."""

    root: Any
    mapping_indent: int = 2
    sequence_indent: int = 4
    sequence_offset: int = 2


def to_yaml(value: Any, *, top: bool = True) -> Any:
    """Plain data → round-trip nodes: scalar lists in flow style, risky strings quoted.

    ``top`` marks a profile mapping, whose ``key`` and ``state`` come first.
    """
    if isinstance(value, Mapping):
        mapping = CommentedMap()
        names = ordered_keys(value) if top else sorted(value)
        for key in names:
            mapping[key] = to_yaml(value[key], top=False)
        return mapping
    if isinstance(value, list | tuple):
        seq = CommentedSeq(to_yaml(item, top=False) for item in value)
        if value and all(not isinstance(item, Mapping | list | tuple) for item in value):
            seq.fa.set_flow_style()
        return seq
    if isinstance(value, str) and not _is_plain_safe(value):
        return DoubleQuotedScalarString(value)
    return value


def ordered_keys(mapping: Mapping[str, Any]) -> list[str]:
    """``key`` and ``state`` first, then every other key sorted."""
    first = [k for k in _FIRST_KEYS if k in mapping]
    return first + sorted(k for k in mapping if k not in _FIRST_KEYS)


def _is_plain_safe(text: str) -> bool:
    return (
        bool(_PLAIN_SAFE.fullmatch(text))
        and text.lower() not in _YAML11_WORDS
        and not text.endswith(" ")
    )


def new_document(data: Mapping[str, Any], *, header: str | None = None) -> Document:
    root = to_yaml(data)
    if header:
        root.yaml_set_start_comment(header)
    return Document(root=root)


def set_value(mapping: MutableMapping[str, Any], key: str, value: Any) -> None:
    """Set ``key``, keeping the formatting of what is already there.

    A list is updated in place (so a flow-style ``[a, b]`` stays flow style); a new key is inserted
    where sorted order puts it among the keys that follow the sorted convention.
    """
    current = mapping.get(key)
    if isinstance(current, CommentedSeq) and isinstance(value, list | tuple):
        current[:] = [to_yaml(item, top=False) for item in value]
        return
    if key in mapping:
        mapping[key] = to_yaml(value, top=False)
        return
    assert isinstance(mapping, CommentedMap)
    keys = list(mapping)
    position = next(
        (i for i, k in enumerate(keys) if k not in _FIRST_KEYS and str(k) > key), len(keys)
    )
    mapping.insert(position, key, to_yaml(value, top=False))


def child_mapping(mapping: MutableMapping[str, Any], key: str) -> MutableMapping[str, Any]:
    """The mapping under ``key``, created (in sorted position) when absent or null."""
    if not isinstance(mapping.get(key), MutableMapping):
        set_value(mapping, key, {})
    child = mapping[key]
    assert isinstance(child, MutableMapping)
    return child


def add_key_comment(mapping: MutableMapping[str, Any], key: str, text: str) -> None:
    """An end-of-line comment after ``key: value``."""
    assert isinstance(mapping, CommentedMap)
    mapping.yaml_add_eol_comment(text, key)


def load_document(path: Path) -> Document:
    """Read a file for editing; raises :class:`YamlWriteError` naming the file when it can't."""
    try:
        text = path.read_text(encoding="utf-8")
        _, sequence_indent, offset = load_yaml_guess_indent(text)
        root = _yaml().load(text)
    except (YAMLError, UnicodeDecodeError) as exc:
        raise YamlWriteError(f"{path}: cannot be edited as YAML ({exc})") from None
    return Document(
        root=root,
        mapping_indent=_guess_mapping_indent(text),
        sequence_indent=sequence_indent or 4,
        sequence_offset=offset if offset is not None else 2,
    )


def _guess_mapping_indent(text: str) -> int:
    """The indentation step of nested mappings (ruamel guesses only the sequence one)."""
    lines = [line for line in text.splitlines() if line.strip() and line.lstrip()[0] != "#"]
    for line, following in itertools.pairwise(lines):
        body = line.split(" #", 1)[0].rstrip()
        if not body.endswith(":") or following.lstrip().startswith("- "):
            continue
        dash = 2 if line.lstrip().startswith("- ") else 0
        step = _indent_of(following) - _indent_of(line) - dash
        if step > 0:
            return step
    return 2


def _indent_of(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def dumps(document: Document) -> str:
    stream = io.StringIO()
    yaml = _yaml()
    yaml.indent(
        mapping=document.mapping_indent,
        sequence=document.sequence_indent,
        offset=document.sequence_offset,
    )
    yaml.dump(document.root, stream)
    return stream.getvalue()


def write_document(document: Document, path: Path) -> None:
    """Write atomically: a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = dumps(document)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _yaml() -> YAML:
    yaml = YAML()  # round-trip
    yaml.preserve_quotes = True
    yaml.allow_unicode = True
    yaml.width = 4096  # never fold a long value onto two lines
    yaml.representer.add_representer(type(None), _represent_null)
    return yaml


def _represent_null(representer: Any, _: None) -> Any:
    # Round-trip mode writes ``field:`` for None; an explicit ``null`` says "clear it" plainly.
    return representer.represent_scalar("tag:yaml.org,2002:null", "null")
