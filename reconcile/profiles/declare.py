"""Validate a profiles.d/ tree: read each file, render templates, apply folder defaults, check.

This module walks the tree: defaults first, then each file from the parse cache or read afresh
(:mod:`reconcile.profiles.documents` turns one parsed document into declarations and problems),
a cold tree shared out over the cores, and the checks across the whole tree at the end.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

from reconcile.errors import FileProblem, Problem, ProfileError
from reconcile.model.desired import DesiredProfile
from reconcile.model.fields import UniqueValue
from reconcile.profiles.cache import ParseCache, cache_key
from reconcile.profiles.defaults import NOT_DEFAULTABLE, chain_for
from reconcile.profiles.documents import (
    Defaults,
    Document,
    DocumentReader,
    Run,
    already_reported,
    entries,
    profile_of,
    report_located,
)
from reconcile.profiles.fake import fake_data_version
from reconcile.profiles.files import SourceFile, Tree, decode_text, read_bytes
from reconcile.profiles.messages import describe, field_path
from reconcile.profiles.parallel import Started, start_in_parallel
from reconcile.profiles.spellings import spelt_two_ways, tag_uses
from reconcile.profiles.templates import render_profile_template_lines
from reconcile.profiles.uniqueness import LoadedProfile, Outline, check_unique, outlined


@dataclass
class LoadedTree:
    profiles: list[LoadedProfile]
    digest: str
    warnings: list[str] = field(default_factory=list)


def begin_tree(
    tree: Tree,
    *,
    reader: DocumentReader,
    cache: ParseCache,
    phone_region: str | None,
    variables: dict[str, object],
    version: str,
    owner_handle: str | None = None,
    keep: Callable[[str], bool] | None = None,
) -> TreeRead:
    """Begin reading ``tree``: its defaults now, and a cold tree's files in worker processes
    (they fill the cache) while the caller goes on; :meth:`TreeRead.finish` gives the result.

    ``keep`` (a shard) selects the keys whose declarations are held whole: the others are held
    as outlines, enough for the checks across the tree (:class:`~.uniqueness.Outline`)."""
    run = Run(reader, cache, phone_region, variables, version)
    run.problems += tree.problems  # symbolic links that lead nowhere, loop or leave the tree
    variables_text = _variables_text(variables)
    header = [version, phone_region or "", variables_text if tree.has_templates else ""]
    run.digest.update(cache_key(*header).encode())
    for source in tree.defaults:
        _read_defaults(run, source)
    pending = _uncached(run, tree, variables_text)
    workers = None
    if pending and not run.problems:
        workers = start_in_parallel(
            list(pending),
            fill_cache,
            (tree.defaults, run.reader, run.cache.directory, phone_region, variables, version),
            own=lambda chunk: _fill(run, chunk, variables_text),
            done=lambda chunk: _read_ahead(run, chunk, pending),
        )
    return TreeRead(run, tree, variables_text, owner_handle, workers, keep)


@dataclass
class TreeRead:
    """A read of a tree under way (:func:`begin_tree`)."""

    run: Run
    tree: Tree
    variables_text: str
    owner_handle: str | None
    workers: Started[SourceFile] | None
    keep: Callable[[str], bool] | None = None

    def finish(self) -> LoadedTree:
        """Wait for the workers, then read every file (cached or not) and check the tree."""
        if self.workers is not None:
            self.workers.wait()
            self.workers = None
        run = self.run
        loaded: list[LoadedProfile] = []
        keep, resolve = self.keep, self.values_of  # one bound method for every outline
        for source in self.tree.profiles:
            read = _read_profiles(run, source, self.variables_text)
            # Outlined file by file, so the whole profiles outside the shard never pile up.
            loaded += read if keep is None else [outlined(item, keep, resolve) for item in read]
        run.cache.forget()
        digest = run.digest.hexdigest()  # before an outline's file is read again, to check it
        unique, clashes = check_unique(loaded, owner_handle=self.owner_handle)
        problems = sorted(set(run.problems + clashes))
        if problems:
            raise ProfileError(problems)
        return LoadedTree(unique, digest, spelt_two_ways(tag_uses(unique)))

    def values_of(self, outline: Outline) -> tuple[UniqueValue, ...]:
        """An outline's unique values, read again from its file (the parse cache answers): only
        asked for when their digest matches another's. None, if the file changed since."""
        for source in self.tree.profiles:
            if source.name == outline.file:
                for item in _read_profiles(self.run, source, self.variables_text):
                    if item.profile.key == outline.key:
                        return item.profile.unique
        return ()


def fill_cache(
    files: list[SourceFile],
    defaults: list[SourceFile],
    reader: DocumentReader,
    directory: Path | None,
    phone_region: str | None,
    variables: dict[str, object],
    version: str,
) -> None:
    """Read ``files`` (under the folder ``defaults``) into the parse cache at ``directory``: a
    worker's chunk of a cold tree; a file with problems is not cached, so the loader reads it
    again and reports."""
    run = Run(reader, ParseCache(directory), phone_region, variables, version)
    for source in defaults:
        _read_defaults(run, source)
    _fill(run, files, _variables_text(variables))


def _fill(run: Run, files: list[SourceFile], variables_text: str) -> None:
    """Read ``files`` into ``run``'s cache; what ``run`` finds wrong stays with it (the loader
    reports every problem itself when it reads the file again)."""
    reader = Run(run.reader, run.cache, run.phone_region, run.variables, run.version)
    reader.defaults, reader.chains = run.defaults, run.chains
    for source in files:
        _read_profiles(reader, source, variables_text)


def _read_ahead(run: Run, files: list[SourceFile], keys: dict[SourceFile, str]) -> None:
    """Read back the cache entries a worker wrote for ``files`` (while the others parse)."""
    for source in files:
        run.cache.read_ahead(keys[source])


def _uncached(run: Run, tree: Tree, variables_text: str) -> dict[SourceFile, str]:
    """The profile files the cache has no entry for, with their keys (none when the cache is
    off)."""
    if run.cache.directory is None:
        return {}
    missing = {}
    for source in tree.profiles:
        try:
            raw = read_bytes(source.path, max_bytes=run.reader.max_file_bytes)
        except FileProblem:
            continue  # reported by the loader
        key = _cache_key(run, source, raw, variables_text)
        if not run.cache.has(key):
            missing[source] = key
    return missing


def _variables_text(variables: dict[str, object]) -> str:
    # A template's output also depends on the fake-data generator (its version is in the key).
    return json.dumps(variables, sort_keys=True, default=str) + fake_data_version()


def _cache_key(run: Run, source: SourceFile, raw: bytes, variables_text: str) -> str:
    return cache_key(
        run.version,
        run.phone_region or "",
        source.name,
        raw,
        variables_text if source.is_template else "",
        *(layer.digest for layer in _chain(run, source.folder)),
    )


def _raw(run: Run, source: SourceFile) -> bytes | None:
    try:
        raw = read_bytes(source.path, max_bytes=run.reader.max_file_bytes)
    except FileProblem as exc:
        run.problems.append(Problem(source.name, exc.line, "", "", exc.message))
        return None
    run.digest.update(cache_key(source.name, raw).encode())
    return raw


def _document(run: Run, source: SourceFile, raw: bytes) -> Document | None:
    lines: tuple[int, ...] | None = None
    try:
        text = decode_text(raw)
        if source.is_template:
            rendered = render_profile_template_lines(
                text,
                run.variables,
                source.name,
                max_output=run.reader.max_file_bytes,
                seed_name=source.relative,
            )
            text, lines = rendered.text, rendered.template_lines
        data, node, located = run.reader.parse_leniently(text)
    except FileProblem as exc:  # unreadable text, or YAML the reader refused
        document = Document(source, None, None, lines)
        for each in (exc, *exc.also):
            message = each.message + _rendered_suffix(document, each.line)
            run.problems.append(Problem(source.name, document.line(each.line), "", "", message))
        return None
    except ProfileError as exc:  # a template that cannot render
        run.problems += exc.problems
        return None
    return Document(source, data, node, lines, located)


def _rendered_suffix(document: Document, parsed_line: int) -> str:
    if document.lines is None or parsed_line < 1:
        return ""
    return f" (line {parsed_line} of the rendered YAML)"


def _read_defaults(run: Run, source: SourceFile) -> None:
    raw = _raw(run, source)
    document = _document(run, source, raw) if raw is not None else None
    if document is None:
        return
    before = len(run.problems)
    report_located(run, document, keyed=False)
    if source.folder in run.defaults:
        first = run.defaults[source.folder].document.source.name
        run.problems.append(Problem(source.name, 1, "", "", f"{first} already sets defaults here"))
        return
    data = {} if document.data is None else document.data
    if not isinstance(data, dict):
        message = "must be a mapping of profile fields that apply to every profile below it"
        run.problems.append(
            Problem(source.name, run.reader.line_of(document.node), "", "", message)
        )
        return
    for name in NOT_DEFAULTABLE:
        if name in data:
            line = run.reader.key_line(document.node, name) or 1
            message = "cannot be a folder default; set it in each profile"
            run.problems.append(Problem(source.name, line, "", name, message))
    fields = {k: v for k, v in data.items() if k not in NOT_DEFAULTABLE}
    try:
        DesiredProfile.model_validate({"key": "defaults", **fields}, context=run.context)
    except ValidationError as exc:
        for error in exc.errors():
            loc = tuple(error["loc"])
            if already_reported(document, None, loc):
                continue
            _, line = run.reader.line_at(document.node, loc)
            run.problems.append(Problem(source.name, line, "", field_path(loc), describe(error)))
    if len(run.problems) == before:  # a broken defaults file is reported once, not merged
        document.data = fields
        run.defaults[source.folder] = Defaults(document, cache_key(raw or b""))


def _read_profiles(run: Run, source: SourceFile, variables_text: str) -> list[LoadedProfile]:
    raw = _raw(run, source)
    if raw is None:
        return []
    chain = _chain(run, source.folder)
    key = _cache_key(run, source, raw, variables_text)
    cached = run.cache.get(key)
    if cached is not None:
        return cached
    document = _document(run, source, raw)
    if document is None:
        return []
    before = len(run.problems)
    loaded = [
        item
        for data, node, index in entries(run, document)
        if (item := profile_of(run, document, chain, data, node, index)) is not None
    ]
    if len(run.problems) == before:
        run.cache.put(key, loaded)
    return loaded


def _chain(run: Run, folder: str) -> list[Defaults]:
    if not run.defaults:
        return []
    if folder not in run.chains:
        folders = chain_for(f"{folder}/file" if folder else "file", list(run.defaults))
        run.chains[folder] = [run.defaults[name] for name in folders]
    return run.chains[folder]
