"""Export what a tenant holds as ``profiles.d/`` declarations, so it can be adopted.

Streams the selected profiles page by page, turns each into a declaration of its writable fields
(only those holding a value), gives it a stable key and writes it (see :mod:`export_tree`). Every
declaration is checked before it is written: loaded back as ``reconcile plan`` would load it, it
must equal what the tenant holds, field for field. A field that would not (a value Omneo holds but
a declaration cannot express) is left out and reported, so a plan over the export shows only
adoptions: the owner identity being added, no field changes.

>>> options = ExportOptions(out=Path("profiles.d"), tenant="local", owner_handle="reconcile")
>>> result = await export_profiles(client, options, on_progress=print)   # doctest: +SKIP
"""

from __future__ import annotations

import asyncio
import re
import tempfile
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from reconcile.errors import ConfigError, YamlWriteError
from reconcile.export.declaration import check_declaration, declaration_of
from reconcile.export.keys import KeyAllocator, KeyTemplate
from reconcile.export.tree import ExistingTree, ExportRecord, Split, TreeWriter, WriteCounts
from reconcile.model.observed import ObservedProfile
from reconcile.profiles.defaults import DEFAULTS_NAMES
from reconcile.profiles.loader import read_variables
from reconcile.tenant.client import OmneoClient
from reconcile.tenant.owners import SYSTEM_HANDLES, other_owners
from reconcile.tenant.responses import ProfilePage

Progress = Callable[[int, int], None]
_FILTER_FIELD = re.compile(r"^[a-z][a-z0-9_.]*$")


class Selection(BaseModel):
    """Which profiles to export; all of them when empty."""

    model_config = ConfigDict(frozen=True)

    filters: tuple[tuple[str, str], ...] = ()
    tags: tuple[str, ...] = ()
    identity_handle: str | None = None
    search: str | None = None

    def query(self) -> dict[str, str]:
        """``GET /profiles`` parameters; repeated values of one filter mean any of them."""
        merged: dict[str, list[str]] = {}
        for name, value in self.filters:
            if not _FILTER_FIELD.match(name) or not value:
                raise ConfigError(f"--filter {name}={value}: use FIELD=VALUE, e.g. last_name=Smith")
            merged.setdefault(name, []).append(value)
        for tag in self.tags:
            merged.setdefault("tags.handle", []).append(tag)
        params = {f"filter[{name}]": ",".join(values) for name, values in merged.items()}
        if self.search:
            params["search"] = self.search
        if self.identity_handle and params:
            raise ConfigError(
                "--identity-handle cannot be combined with --filter, --tag or --search"
            )
        return params


class ExportOptions(BaseModel):
    model_config = ConfigDict(frozen=True)

    out: Path
    scan_root: Path | None = None
    tenant: str
    owner_handle: str = "reconcile"
    phone_region: str | None = None
    selection: Selection = Selection()
    split: Split = "profile"
    key_template: str | None = None
    page_size: int = 100
    variables: dict[str, object] = {}


class Unexportable(BaseModel):
    """A profile, or one field of it, that export left out, and why (no personal data)."""

    model_config = ConfigDict(frozen=True)

    profile_id: str
    key: str
    field: str
    reason: str


class ExportResult(BaseModel):
    exported: int
    written: WriteCounts
    left_out: list[Unexportable]


async def export_profiles(
    client: OmneoClient, options: ExportOptions, *, on_progress: Progress | None = None
) -> ExportResult:
    if options.out.exists() and not options.out.is_dir():
        raise YamlWriteError(
            f"{options.out} is a file: --out names the folder to export into, e.g. profiles.d/"
        )
    template = KeyTemplate.parse(options.key_template) if options.key_template else None
    query = options.selection.query()
    tree = ExistingTree.scan(
        options.scan_root or options.out,
        phone_region=options.phone_region,
        variables=options.variables,
    )
    others = await other_owners(client, options.owner_handle)
    keys = KeyAllocator(template, taken=set(tree.entries))
    defaults = folder_defaults(options.scan_root or options.out, options.out)
    left_out: list[Unexportable] = []
    exported = 0
    with tempfile.TemporaryDirectory(prefix="reconcile-export-") as spool:
        writer = TreeWriter(
            options.out, split=options.split, tenant=options.tenant, tree=tree, spool=Path(spool)
        )
        async for page in _pages(client, options, query):
            types = await _custom_types(client, page)
            for observed in page.profiles:
                custom = types.get(observed.id)
                record = _record(observed, options, keys, tree, custom, defaults, left_out, others)
                if record is not None:
                    writer.add(record)
                    exported += 1
            if on_progress:
                on_progress(min(page.number * options.page_size, page.total), page.total)
        written = writer.finish()
    return ExportResult(exported=exported, written=written, left_out=left_out)


async def _pages(
    client: OmneoClient, options: ExportOptions, query: dict[str, str]
) -> AsyncIterator[ProfilePage]:
    """Every page in order; the next page is fetched while the caller writes this one."""

    def fetch(number: int) -> asyncio.Task[ProfilePage]:
        handle, size = options.selection.identity_handle, options.page_size
        if handle:
            return asyncio.create_task(
                client.list_handle_profiles_page(handle, number=number, size=size)
            )
        return asyncio.create_task(client.list_profiles_page(query, number=number, size=size))

    ahead: asyncio.Task[ProfilePage] | None = fetch(1)
    try:
        while ahead is not None:
            page = await ahead
            ahead = fetch(page.number + 1) if page.number < page.last_page else None
            yield page
    finally:
        if ahead is not None:
            ahead.cancel()
            await asyncio.gather(ahead, return_exceptions=True)


async def _custom_types(client: OmneoClient, page: ProfilePage) -> dict[str, dict[str, str]]:
    """Declared types of custom attributes whose value alone does not say (1 or [..])."""
    ambiguous = [p.id for p in page.profiles if _has_ambiguous_custom_value(p)]
    found = await asyncio.gather(*(client.list_custom_attributes(i) for i in ambiguous))
    return {
        profile_id: {f"{i.namespace}.{i.handle}": i.type for i in items}
        for profile_id, items in zip(ambiguous, found, strict=True)
    }


def _has_ambiguous_custom_value(observed: ObservedProfile) -> bool:
    values = [v for k, v in observed.fields.items() if k.startswith("custom_attributes.")]
    return any(isinstance(v, int | list) and not isinstance(v, bool) for v in values)


def _record(
    observed: ObservedProfile,
    options: ExportOptions,
    keys: KeyAllocator,
    tree: ExistingTree,
    types: dict[str, str] | None,
    defaults: list[dict[str, Any]],
    left_out: list[Unexportable],
    others: frozenset[str] = frozenset(),
) -> ExportRecord | None:
    if any(observed.identifier(h) is not None for h in SYSTEM_HANDLES):  # lock, owner registry
        return None
    owned = observed.identifier(options.owner_handle)
    if observed.unreadable is not None:  # the plan's conflict, as the same message
        reason = observed.unreadable.message(observed.id)
        left_out.append(Unexportable(profile_id=observed.id, key=owned or "-", field="*",
                                     reason=reason))  # fmt: skip
        return None
    theirs = next(((h, k) for h in sorted(others) if (k := observed.identifier(h))), None)
    if theirs is not None and owned is None:
        why = f"managed by another project (owner handle {theirs[0]!r}, key {theirs[1]!r})"
        left_out.append(Unexportable(profile_id=observed.id, key=theirs[1], field="*", reason=why))
        return None
    matched = tree.match(observed)
    if owned is not None and keys.claim(owned):
        key = owned
    elif owned is None and matched is not None and keys.claim(matched):
        key = matched
    else:
        key = keys.derive(observed)
    declaration = declaration_of(
        observed, owner_handle=options.owner_handle, types=types or {}, other_owners=others
    )
    under = () if key in tree.entries else defaults  # a new file takes its folder's defaults
    problems = check_declaration(key, declaration, observed, options.phone_region, under)
    left_out += [Unexportable(profile_id=observed.id, key=key, **p) for p in problems]
    if any(p["field"] == "*" for p in problems):
        return None
    return ExportRecord(
        key=key, profile_id=observed.id, declaration=declaration, observed=observed.fields
    )


def folder_defaults(scan_root: Path, out: Path) -> list[dict[str, Any]]:
    """The ``_defaults.yaml`` layers that apply to new files in ``out``, outermost first."""
    try:
        relative = out.resolve().relative_to(scan_root.resolve())
    except ValueError:
        relative = Path()
    folders = [
        scan_root,
        *(scan_root.joinpath(*relative.parts[: n + 1]) for n in range(len(relative.parts))),
    ]
    layers: list[dict[str, Any]] = []
    for folder in folders:
        found = [folder / name for name in DEFAULTS_NAMES if (folder / name).is_file()]
        if found:  # read with the loader's own YAML reader: one mapping, as profiles.d/ reads it
            layers.append(dict(read_variables(found[0])))
    return layers
