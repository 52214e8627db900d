"""Where exported profiles go in ``profiles.d/``, and how files that exist already are updated.

A profile the tree declares already is updated in the file that declares it: only the values that
differ from the tenant change, and the file keeps its comments and formatting. A profile that a
template (``*.j2``) declares is left alone. Any other profile goes to a new place chosen by the
split: ``profile`` (``KEY.yaml``, one profile per file), ``tag`` (``TAG.yaml``, by the first tag
in sorted order; ``untagged.yaml`` when it has none), ``letter`` (``A.yaml`` by the first character
of the key) or ``none`` (all in ``profiles.yaml``).

Profiles for files that need a whole-file edit are spooled to disk as JSON lines while the export
streams, and each such file is written once at the end, so memory does not grow with the tenant.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from reconcile.export import yaml_writer
from reconcile.export.keys import slugify
from reconcile.export.merge import merge_entry
from reconcile.model.fields import JsonValue
from reconcile.model.observed import ObservedProfile
from reconcile.profiles.loader import YAML_SUFFIXES, load_profiles
from reconcile.profiles.portable import portable_stem

Split = Literal["profile", "tag", "letter", "none"]
SPLITS: tuple[Split, ...] = ("profile", "tag", "letter", "none")
HEADER = (
    "Exported by `reconcile export` from tenant {tenant}.\n"
    "Edit freely: re-exporting keeps your comments and formatting."
)


class ExportRecord(BaseModel):
    """One exported profile: its key, its declaration, and the tenant's flat view of it."""

    model_config = ConfigDict(frozen=True)

    key: str
    profile_id: str
    declaration: dict[str, JsonValue]
    observed: dict[str, JsonValue]


@dataclass(frozen=True)
class DeclaredEntry:
    key: str
    file: Path
    view: dict[str, JsonValue]
    is_template: bool
    is_tombstone: bool


@dataclass
class ExistingTree:
    """The declarations already under the export's folder, indexed for matching."""

    entries: dict[str, DeclaredEntry] = field(default_factory=dict)
    by_value: dict[tuple[str, str], str] = field(default_factory=dict)

    @classmethod
    def scan(
        cls, root: Path, *, phone_region: str | None, variables: dict[str, object]
    ) -> ExistingTree:
        if not root.is_dir() or not any(_is_declaration(p) for p in root.rglob("*")):
            return cls()
        declared = load_profiles(root, phone_region=phone_region, variables=variables)
        tree = cls()
        for profile in declared.profiles:
            location = declared.locations[profile.key]
            path = root.parent / location.file
            view = profile.flat_view()
            tree.entries[profile.key] = DeclaredEntry(
                key=profile.key,
                file=path,
                view=view,
                is_template=path.name.endswith(".j2"),
                is_tombstone=profile.is_tombstone,
            )
            for name, value in view.items():
                if isinstance(value, str) and _is_match_field(name):
                    tree.by_value.setdefault((name, value), profile.key)
        return tree

    def match(self, observed: ObservedProfile) -> str | None:
        """The key of the declaration that names this tenant profile: identity, email, mobile."""
        identities = sorted(f for f in observed.fields if f.startswith("identities."))
        for name in (*identities, "email", "mobile_phone"):
            value = observed.fields.get(name)
            if isinstance(value, str) and (name, value) in self.by_value:
                return self.by_value[(name, value)]
        return None


def _is_declaration(path: Path) -> bool:
    return path.is_file() and path.name.endswith((*YAML_SUFFIXES, ".j2"))


def _is_match_field(name: str) -> bool:
    return name in ("email", "mobile_phone") or name.startswith("identities.")


class WriteCounts(BaseModel):
    files_created: int = 0
    files_updated: int = 0
    profiles_new: int = 0
    profiles_updated: int = 0
    profiles_unchanged: int = 0
    left_to_templates: list[str] = []
    skipped: list[str] = []


class TreeWriter:
    """Routes each exported profile to its file; ``finish()`` writes the spooled files."""

    def __init__(
        self, out: Path, *, split: Split, tenant: str, tree: ExistingTree, spool: Path
    ) -> None:
        self._out = out
        self._split = split
        self._tenant = tenant
        self._tree = tree
        self._spool = spool
        self._spooled: dict[Path, Path] = {}
        self.counts = WriteCounts()

    def add(self, record: ExportRecord) -> None:
        declared = self._tree.entries.get(record.key)
        if declared is not None and declared.is_template:
            self.counts.left_to_templates.append(record.key)
        elif declared is not None and declared.is_tombstone:
            self.counts.skipped.append(f"{record.key}: declared with a state: tombstone")
        elif declared is not None:
            self._spool_for(declared.file, record)
        elif self._split == "profile" and not self._file(record.key).exists():
            self._write_single(record)
        else:
            self._spool_for(self._file(self._group(record)), record)

    def _file(self, stem: str) -> Path:
        """The file for ``stem``, never a name Windows cannot check out (``con`` → ``con_``)."""
        return self._out / f"{portable_stem(stem)}.yaml"

    def finish(self) -> WriteCounts:
        for path in sorted(self._spooled):
            with self._spooled[path].open(encoding="utf-8") as lines:
                records = [ExportRecord.model_validate_json(line) for line in lines]
            self._write_group(path, sorted(records, key=lambda r: r.key))
        return self.counts

    def _group(self, record: ExportRecord) -> str:
        if self._split == "tag":
            tags = record.declaration.get("tags")
            if not isinstance(tags, list) or not tags:
                return "untagged"
            return slugify(sorted(str(tag) for tag in tags)[0]) or "untagged"
        if self._split == "letter":
            return record.key[0]
        return "profiles" if self._split == "none" else record.key

    def _spool_for(self, path: Path, record: ExportRecord) -> None:
        spool = self._spooled.setdefault(path, self._spool / f"{len(self._spooled)}.jsonl")
        with spool.open("a", encoding="utf-8") as stream:
            stream.write(record.model_dump_json() + "\n")

    def _write_single(self, record: ExportRecord) -> None:
        document = yaml_writer.new_document(
            {"key": record.key, **record.declaration}, header=self._header()
        )
        yaml_writer.add_key_comment(document.root, "key", self._source(record))
        yaml_writer.write_document(document, self._file(record.key))
        self.counts.files_created += 1
        self.counts.profiles_new += 1

    def _write_group(self, path: Path, records: list[ExportRecord]) -> None:
        existed = path.exists()
        document = (
            yaml_writer.load_document(path)
            if existed
            else yaml_writer.new_document({"profiles": []}, header=self._header())
        )
        changed = not existed
        for record in records:
            entry = _find_entry(document.root, record.key, path)
            if entry is not None:
                declared = self._tree.entries.get(record.key)
                view = declared.view if declared else {}
                updated = merge_entry(entry, record.declaration, view, record.observed)
                changed |= updated
                self._count_update(updated)
            elif _append_entry(document.root, self._new_entry(record)):
                changed = True
                self.counts.profiles_new += 1
            else:
                self.counts.skipped.append(f"{record.key}: {path.name} holds another profile")
        if changed:
            yaml_writer.write_document(document, path)
            if existed:
                self.counts.files_updated += 1
            else:
                self.counts.files_created += 1

    def _count_update(self, updated: bool) -> None:
        if updated:
            self.counts.profiles_updated += 1
        else:
            self.counts.profiles_unchanged += 1

    def _new_entry(self, record: ExportRecord) -> Any:
        entry = yaml_writer.to_yaml({"key": record.key, **record.declaration})
        yaml_writer.add_key_comment(entry, "key", self._source(record))
        return entry

    def _header(self) -> str:
        return HEADER.format(tenant=self._tenant)

    def _source(self, record: ExportRecord) -> str:
        return f"from tenant {self._tenant}, profile {record.profile_id}"


def _find_entry(root: Any, key: str, path: Path) -> MutableMapping[str, Any] | None:
    if not isinstance(root, MutableMapping):
        return None
    items = root.get("profiles")
    if isinstance(items, list):
        return next(
            (i for i in items if isinstance(i, MutableMapping) and i.get("key") == key), None
        )
    own_key = root.get("key", path.name.split(".")[0])
    return root if own_key == key else None


def _append_entry(root: Any, entry: Any) -> bool:
    """Insert into the ``profiles:`` list in key order; False when the file has no such list."""
    items = root.get("profiles") if isinstance(root, MutableMapping) else None
    if not isinstance(items, list):
        return False
    keys = [str(i.get("key", "")) if isinstance(i, MutableMapping) else "" for i in items]
    position = next((n for n, k in enumerate(keys) if k > entry["key"]), len(items))
    items.insert(position, entry)
    return True
