"""The YAML reader's fast path (profiles/yaml_plain.py) reads a file as the full reader does.

Documents are generated as people write profiles (block and flow mappings and lists, plain,
quoted and block scalars, numbers, flags, dates, nulls), with the things only the full reader
handles mixed in (anchors, merge keys, tags, duplicate fields, values YAML 1.1 and 1.2 read
apart, floats). Each is read by ``parse`` (fast path first) and by PyYAML alone
(``parse(fully=True)`` with ``RECONCILE_NO_FAST_PATHS=1``: its node tree and its own tag
resolution): the data, the problems and every line the loader can ask for must be the same. The
test runs with the fast paths and without them (the ``fast_paths`` fixture), the second run on a
sample.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconcile.errors import FileProblem
from reconcile.profiles.yaml_plain import PlainMap
from reconcile.profiles.yaml_reader import Limits, YamlReader

_KEYS = ["key", "email", "tags", "identities", "previous_keys", "state", "mobile_phone", "pos"]
_KEYS += ["first_name", "'quoted'", '"key"', "x y", "1", "true", "<<", "? [k]", "!!str k", "&a k"]
_SCALARS = ["jane", "'q'", '"x y"', "12", "0", "010", "true", "False", "yes", "", "~", "null"]
_SCALARS += ["2023-11-07", "a b", "'010'", "1950", '"+61412345678"', "+61412345678", "x:y", "12:30"]
_SCALARS += [
    "-x",
    ".x",
    "1.5",
    ".inf",
    "0x1F",
    "0o17",
    "=",
    "é",
    "'it''s'",
    "[]",
    "{}",
    "[a, 'b', 3]",
]
_SCALARS += ["{k: v, n: 1}", "&a x", "*a", "!!int 3", "!!binary aGk=", "1" * 20]


def _value(draw: st.DrawFn, depth: int, indent: int) -> str:
    choice = draw(st.integers(0, 9)) if depth < 4 else 0
    pad = " " * indent
    if choice <= 5:
        scalar = draw(st.sampled_from(_SCALARS))
        return " " + scalar
    if choice <= 8:
        keys = draw(st.lists(st.sampled_from(_KEYS), min_size=1, max_size=5))
        return "".join(f"\n{pad}{key}:{_value(draw, depth + 1, indent + 2)}" for key in keys)
    items = draw(st.integers(1, 3))
    return "".join(f"\n{pad}-{_value(draw, depth + 1, indent + 2)}" for _ in range(items))


@st.composite
def _documents(draw: st.DrawFn) -> str:
    if draw(st.booleans()):
        return _value(draw, 0, 0).lstrip("\n")
    items = [_value(draw, 2, 4).lstrip("\n").lstrip() for _ in range(draw(st.integers(1, 3)))]
    return "profiles:\n" + "".join(f"  - {item}\n" for item in items)


def _paths(data: Any, prefix: tuple[str | int, ...] = ()) -> list[tuple[str | int, ...]]:
    found = [prefix, (*prefix, "missing"), (*prefix, 99), (*prefix, "[key]", "x")]
    if isinstance(data, dict):
        for name, value in data.items():
            found += _paths(value, (*prefix, name))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            found += _paths(value, (*prefix, index))
    return found


def _answers(reader: YamlReader, data: Any, node: Any) -> list[Any]:
    answers: list[Any] = [reader.line_of(node), reader.field_lines(node)]
    answers += [reader.line_at(node, path) for path in _paths(data)]
    for name in [*data, "missing"] if isinstance(data, dict) else []:
        child = reader.value_node(node, name)
        answers.append((reader.key_line(node, name), child and reader.line_of(child)))
        for item in reader.items(child) if child is not None else []:
            answers.append((reader.line_of(item), reader.field_lines(item)))
    return answers


@contextmanager
def _library_only() -> Iterator[None]:
    before = os.environ.get("RECONCILE_NO_FAST_PATHS")
    os.environ["RECONCILE_NO_FAST_PATHS"] = "1"
    try:
        yield
    finally:
        if before is None:
            del os.environ["RECONCILE_NO_FAST_PATHS"]
        else:
            os.environ["RECONCILE_NO_FAST_PATHS"] = before


def _read(reader: YamlReader, text: str, *, fully: bool) -> tuple[Any, ...]:
    try:
        data, node = reader.parse(text, fully=fully)
    except FileProblem as problem:
        return (
            "refused",
            problem.message,
            problem.line,
            [(p.message, p.line) for p in problem.also],
        )
    typed = repr(data)  # True and 1 are equal; their reprs are not
    return ("read", typed, None if node is None else _answers(reader, data, node))


def test_the_fast_path_reads_every_document_as_the_full_reader(fast_paths: bool) -> None:
    @settings(
        max_examples=1500 if fast_paths else 150,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(_documents(), st.sampled_from([Limits(), Limits(max_depth=3)]))
    def check(text: str, limits: Limits) -> None:
        with _library_only():
            expected = _read(YamlReader(limits), text, fully=True)
        assert _read(YamlReader(limits), text, fully=False) == expected, text

    check()


def test_a_benchmark_shaped_file_takes_the_fast_path() -> None:
    text = 'profiles:\n  - key: "jane"\n    email: "jane@example.com"\n    tags: ["vip"]\n'
    data, node = YamlReader(Limits()).parse(text)
    assert isinstance(node, PlainMap)
    assert data == {"profiles": [{"key": "jane", "email": "jane@example.com", "tags": ["vip"]}]}


def test_without_the_fast_paths_every_file_is_read_by_pyyaml(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("RECONCILE_NO_FAST_PATHS", "1")
    text = 'profiles:\n  - key: "jane"\n    email: "jane@example.com"\n    tags: ["vip"]\n'
    reader = YamlReader(Limits())
    data, node = reader.parse(text)
    assert isinstance(node, yaml.MappingNode) and reader.line_of(node) == 1
    assert data == {"profiles": [{"key": "jane", "email": "jane@example.com", "tags": ["vip"]}]}
    assert reader._tags == {}  # PyYAML resolved every tag itself
