"""Reading one document of a profiles.d/ tree: its entries, each validated into a declaration,
and each problem placed at its file and line (a folder default's own line when it came from one).

:mod:`reconcile.profiles.declare` walks the tree and keeps the cache; this module is what it does
with one parsed document. The YAML itself is parsed behind :class:`DocumentReader` (implemented in
:mod:`reconcile.profiles.yaml_reader`, the seam for PyYAML).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any, Protocol

from pydantic import ValidationError

from reconcile.errors import Problem
from reconcile.model.declaration import Declaration
from reconcile.model.desired import DesiredProfile
from reconcile.profiles.cache import ParseCache
from reconcile.profiles.defaults import merge_defaults
from reconcile.profiles.files import SourceFile
from reconcile.profiles.messages import describe, field_path, printable
from reconcile.profiles.uniqueness import LoadedProfile

TOMBSTONE_STATES = ("absent", "purged")


class DocumentReader(Protocol):
    """Parses text into plain data plus an opaque node tree that knows the lines.

    ``parse`` raises :class:`FileProblem` (with a line) for text it refuses; ``parse_leniently``
    also returns the problems that leave the rest readable, each as (path, line, message).
    """

    @property
    def max_file_bytes(self) -> int: ...
    def parse(self, text: str) -> tuple[Any, Any]: ...
    def parse_leniently(self, text: str) -> tuple[Any, Any, list[Located]]: ...
    def line_at(self, node: Any, loc: tuple[str | int, ...]) -> tuple[bool, int]: ...
    def field_lines(self, node: Any) -> dict[str, int]: ...
    def line_of(self, node: Any) -> int: ...
    def key_line(self, node: Any, name: str) -> int | None: ...
    def items(self, node: Any) -> list[Any]: ...
    def value_node(self, node: Any, name: str) -> Any: ...


# A problem found in a document's data: (its path, its parsed line, the message).
Located = tuple[tuple[str, ...], int, str]


@dataclass
class Document:
    """One file's parsed content; ``lines`` maps a rendered template's lines to its own;
    ``located``: the problems the reader found that leave the rest readable."""

    source: SourceFile
    data: Any
    node: Any
    lines: tuple[int, ...] | None = None
    located: list[Located] = field(default_factory=list)

    def line(self, parsed_line: int) -> int:
        if self.lines is None or parsed_line < 1:
            return parsed_line
        return self.lines[min(parsed_line, len(self.lines)) - 1] if self.lines else 1


@dataclass
class Defaults:
    document: Document
    digest: str


@dataclass
class Run:
    reader: DocumentReader
    cache: ParseCache
    phone_region: str | None
    variables: dict[str, object]
    version: str
    problems: list[Problem] = field(default_factory=list)
    defaults: dict[str, Defaults] = field(default_factory=dict)
    chains: dict[str, list[Defaults]] = field(default_factory=dict)  # per folder
    digest: Any = field(default_factory=hashlib.sha256)

    @property
    def context(self) -> dict[str, Any]:
        return {"phone_region": self.phone_region}


def report_located(run: Run, document: Document, *, keyed: bool = True) -> None:
    """Each problem the reader placed, keyed by the profile it is in (``p1: mobile_phone``)
    when ``keyed`` (not in a folder defaults file)."""
    data = document.data
    for where, line, message in document.located:
        key, field_path = "", where
        listed = where[:1] == ("profiles",) and len(where) > 1 and isinstance(data, dict)
        if listed and isinstance(data.get("profiles"), list) and where[1].isdigit():
            items = data["profiles"]
            item = items[int(where[1])] if int(where[1]) < len(items) else None
            key = str(item.get("key", "")) if isinstance(item, dict) else ""
            field_path = where[2:]
        elif keyed and isinstance(data, dict) and "profiles" not in data:
            key = str(data.get("key", document.source.stem))
        name = document.source.name
        shown = printable(".".join(field_path))
        run.problems.append(Problem(name, document.line(line), printable(key), shown, message))


def already_reported(document: Document, index: int | None, loc: tuple[Any, ...]) -> bool:
    """Whether the reader reported the value at ``loc`` (a validation error's place) of entry
    ``index`` (see :func:`entries`) already, with how to write it."""
    if not document.located:
        return False
    at = tuple(str(part) for part in loc if part != "[key]")
    prefix = () if index is None else ("profiles", str(index))
    for where, _, _ in document.located:
        path = where[len(prefix) :] if where[: len(prefix)] == prefix else None
        if path is not None and at[: len(path)] == path:
            return True
    return False


def entries(run: Run, document: Document) -> list[tuple[Any, Any, int | None]]:
    """Each profile of the document: its data, its node, and its index in a ``profiles:`` list
    (``None`` for a file that is one profile)."""
    report_located(run, document)
    data, node, name = document.data, document.node, document.source.name
    if data is None:
        if not document.source.is_template:  # a template may render no profiles at all
            run.problems.append(
                Problem(name, 1, "", "", "is empty: declare a profile, or a list under 'profiles:'")
            )
        return []
    if not isinstance(data, dict):
        message = "must be a mapping (one profile) or hold a 'profiles:' list"
        run.problems.append(Problem(name, document.line(run.reader.line_of(node)), "", "", message))
        return []
    if "profiles" not in data:
        return [(data, node, None)]
    for other in sorted(set(data) - {"profiles"}):
        line = document.line(run.reader.key_line(node, other) or 1)
        message = "a file with 'profiles:' holds only that list; move this into a profile"
        run.problems.append(Problem(name, line, "", other, message))
    items_node = run.reader.value_node(node, "profiles")
    items = data["profiles"]
    if items is None:
        return []
    if not isinstance(items, list):
        line = document.line(run.reader.key_line(node, "profiles") or 1)
        run.problems.append(Problem(name, line, "", "profiles", "must be a list of profiles"))
        return []
    item_nodes = run.reader.items(items_node)
    if len(item_nodes) != len(items):  # the list came through a merge (<<), not written here
        line = document.line(run.reader.line_of(node))
        message = "write the list of profiles here, not through a merge (<<)"
        run.problems.append(Problem(name, line, "", "profiles", message))
        return []
    return list(zip(items, item_nodes, range(len(items)), strict=True))


def profile_of(
    run: Run,
    document: Document,
    chain: list[Defaults],
    data: Any,
    node: Any,
    index: int | None,
) -> LoadedProfile | None:
    single = index is None
    line = document.line(run.reader.line_of(node))
    name = document.source.name
    if not isinstance(data, dict):
        run.problems.append(Problem(name, line, "", "", "a profile must be a mapping of fields"))
        return None
    from_file_name = single and "key" not in data
    if from_file_name:
        data = {"key": document.source.stem, **data}
    merged = data
    if chain and data.get("state") not in TOMBSTONE_STATES:
        merged = merge_defaults([layer.document.data for layer in chain], data)
    try:
        profile = DesiredProfile.model_validate(merged, context=run.context)
    except ValidationError as exc:
        key = printable(str(data.get("key", "")))
        for error in exc.errors():
            if already_reported(document, index, tuple(error["loc"])):
                continue  # the reader said what is wrong there, and how to write it
            run.problems.append(_problem(run, document, chain, node, key, error, from_file_name))
        return None
    lines = {k: document.line(v) for k, v in run.reader.field_lines(node).items()}
    written = merged.get("tags") if isinstance(merged.get("tags"), list) else []
    declaration = Declaration.of(profile)
    return LoadedProfile(declaration, name, line, lines, tuple(str(tag) for tag in written))


def _problem(
    run: Run,
    document: Document,
    chain: list[Defaults],
    node: Any,
    key: str,
    error: Any,
    from_file_name: bool,
) -> Problem:
    loc = tuple(error["loc"])
    field_name = field_path(loc)
    message = describe(error)
    if loc == ("key",) and from_file_name:
        message += " (the key comes from the file name: rename the file or add a key)"
    elif loc == ("key",) and error["type"] == "missing":
        message = "is required for each profile in a 'profiles:' list"
    found, line = run.reader.line_at(node, loc)
    if found or not loc:
        return Problem(document.source.name, document.line(line), key, field_name, message)
    for layer in reversed(chain):  # nearest folder first
        in_defaults, defaults_line = run.reader.line_at(layer.document.node, loc)
        if in_defaults:
            name = layer.document.source.name
            return Problem(name, defaults_line, key, field_name, f"{message} (a folder default)")
    return Problem(document.source.name, document.line(line), key, field_name, message)
