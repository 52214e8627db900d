"""A cache of validated files under ``.reconcile/cache/``, so an unchanged tree loads at JSON speed.

An entry is keyed by a digest of everything its result depends on: the file's bytes and name, the
phone region, the template variables (for templates), the bytes of the folder defaults that apply,
and the code that turns them into declarations: the tool's version and a digest of its own
modules that shape a declaration, the Python version and the installed version of every library
that does (:func:`environment`). An edited file, a changed validation rule or an upgraded
phonenumbers therefore gets a new key and is read again; nothing is ever served stale. Only files
without problems are cached. An entry is revived without validating it again, so it carries a
SHA-256 of its content: a damaged, broken or unreadable entry is a miss.

>>> cache = ParseCache(Path(".reconcile/cache"))                  # doctest: +SKIP
>>> key = cache_key("AU", "profiles.d/jane.yaml", raw, ...)       # doctest: +SKIP
"""

from __future__ import annotations

import functools
import hashlib
import importlib.metadata
import os
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path
from sys import intern
from typing import Any

from reconcile import codec
from reconcile.model.declaration import Declaration, names_from_text, names_text
from reconcile.profiles.uniqueness import LoadedProfile, Offsets

# The distributions whose code decides what a file declares: validation and its messages
# (pydantic), normalised values (phonenumbers, email-validator, anyascii), reading (PyYAML;
# ruamel.yaml writes what export hands back), templates (Jinja2, Faker) and the entries (msgspec).
SHAPING = (
    "anyascii",
    "email-validator",
    "faker",
    "jinja2",
    "msgspec",
    "phonenumbers",
    "pydantic",
    "pydantic-core",
    "pyyaml",
    "ruamel.yaml",
)


# The tool's own code that turns a file into declarations: a change to it misses the cache even
# before the version is bumped (a checkout under development, a build of an unreleased commit).
SHAPING_CODE = ("model", "profiles", "codec.py", "errors.py")


@functools.cache
def environment() -> str:
    """The tool's version and a digest of its shaping code, the Python version and each shaping
    library's installed version, as one text: part of every cache key (read once a process)."""
    import reconcile

    code = code_digest(Path(reconcile.__file__).parent)
    parts = [f"reconcile={tool_version()}", f"code={code}", f"python={sys.version}"]
    parts += [f"{name}={_installed(name)}" for name in SHAPING]
    return ";".join(parts)


def code_digest(package: Path) -> str:
    """A SHA-256 of the modules under ``package`` that shape a declaration (``SHAPING_CODE``)."""
    digest = hashlib.sha256()
    for part in SHAPING_CODE:
        path = package / part
        for module in sorted(path.rglob("*.py")) if path.is_dir() else [path]:
            try:
                data = module.read_bytes()
            except OSError:
                data = b"unreadable"
            digest.update(cache_key(module.relative_to(package).as_posix(), data).encode())
    return digest.hexdigest()


def tool_version() -> str:
    """``reconcile.__version__`` (imported when asked: this module loads while the package does)."""
    import reconcile

    return reconcile.__version__


def _installed(name: str) -> str:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return "absent"


def cache_key(*parts: str | bytes) -> str:
    digest = hashlib.sha256()
    for part in parts:
        data = part.encode() if isinstance(part, str) else part
        digest.update(len(data).to_bytes(8, "big") + data)
    return digest.hexdigest()


class ParseCache:
    """Validated profiles per file, stored as JSON. ``directory=None`` disables the cache.

    ``versions`` (by default :func:`environment`) is mixed into every key given to it."""

    def __init__(
        self, directory: Path | None, versions: str | None = None, *, remember: bool = True
    ) -> None:
        self.directory = directory
        self.versions = versions
        self.hits = 0
        # What this process put, until it reads it back: the loader's own share of a cold tree
        # is read again from here, not from the disk (see profiles/parallel.py). Not for a
        # shard's load (``remember=False``): it would hold every profile of that share whole.
        self._remember = remember
        self._written: dict[str, list[LoadedProfile]] = {}
        self._ahead: dict[str, list[LoadedProfile]] = {}  # read before the loader asks

    def _path(self, directory: Path, key: str) -> Path:
        if self.versions is None:
            self.versions = environment()
        return directory / f"{cache_key(self.versions, key)}.json"

    def has(self, key: str) -> bool:
        return self.directory is not None and self._path(self.directory, key).exists()

    def get(self, key: str) -> list[LoadedProfile] | None:
        if self.directory is None:
            return None
        if (written := self._written.pop(key, None)) is not None:
            self.hits += 1
            return [_compact(item) for item in written]
        loaded = self._ahead.pop(key) if key in self._ahead else self._read(self.directory, key)
        if loaded is not None:
            self.hits += 1
        return loaded

    def read_ahead(self, key: str) -> None:
        """Read the entry another process wrote for ``key`` now, for :meth:`get` to find later
        (a worker's share of a cold tree, read back while the other workers still parse).
        Not for a shard's load: like what this process put, it is held whole until asked for."""
        if self.directory is None or not self._remember or key in self._ahead:
            return
        if (loaded := self._read(self.directory, key)) is not None:
            self._ahead[key] = loaded

    def _read(self, directory: Path, key: str) -> list[LoadedProfile] | None:
        try:
            raw = self._path(directory, key).read_bytes()
            digest, _, payload = raw.partition(b"\n")
            if digest.decode() != hashlib.sha256(payload).hexdigest():
                return None  # damaged: entries are revived without validation, so never trusted
            return [_revive(entry) for entry in codec.decode(payload)]
        except (OSError, ValueError, KeyError, TypeError, AttributeError, codec.DecodeError):
            return None

    def put(self, key: str, loaded: list[LoadedProfile]) -> None:
        if self.directory is None:
            return
        entries = [_entry(item) for item in loaded]
        body = codec.encode(entries)
        payload = hashlib.sha256(body).hexdigest().encode() + b"\n" + body
        if self._remember:
            self._written[key] = loaded
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(dir=self.directory, suffix=".tmp")
            with os.fdopen(handle, "wb") as out:
                out.write(payload)
            os.replace(temporary, self._path(self.directory, key))
        except OSError:
            pass  # the cache only saves time: a read-only checkout still loads

    def forget(self) -> None:
        """Drop what this process put or read ahead and has not handed out (a load is
        finished)."""
        self._written.clear()
        self._ahead.clear()


def _entry(item: LoadedProfile) -> dict[str, Any]:
    profile = item.profile
    assert isinstance(profile, Declaration)  # a load outlines other shards' profiles after this
    return {
        "declaration": profile.entry(),
        "file": item.file,
        "line": item.line,
        "lines": _lines_entry(item.lines, item.line),
        "tags": list(item.tags),
    }


def _lines_entry(lines: Mapping[str, int], start: int) -> Any:
    """A profile's field lines as stored: ``[names, offsets]`` (the names' JSON text, shared
    by every profile of that shape, and each line's offset from the profile's first), or the
    mapping itself when an offset does not fit a byte."""
    offsets = [line - start for line in lines.values()]
    if not all(0 <= offset < 256 for offset in offsets):
        return dict(lines)
    return [names_text(tuple(lines)), offsets]


def _lines(stored: Any, start: int) -> Mapping[str, int]:
    # Held as offsets, a tenth of a dict's memory: a large cold tree holds every profile's
    # lines until the checks across the tree are done (docs/performance.md).
    if type(stored) is dict:
        return stored
    text, offsets = stored
    return Offsets(names_from_text(text), start, bytes(offsets))


def _compact(item: LoadedProfile) -> LoadedProfile:
    """A profile this process read, with its lines held as the cache's reading gives them."""
    lines = _lines(_lines_entry(item.lines, item.line), item.line)
    return LoadedProfile(item.profile, item.file, item.line, lines, item.tags)


def _revive(entry: dict[str, Any]) -> LoadedProfile:
    # Validated and normalised when the file was first read, and checksummed since: built again
    # without validating, and without building the model (docs/performance.md).
    profile = Declaration.from_entry(entry["declaration"])
    # Written by _entry and checksummed: the types are the ones written, so not converted again.
    line = entry["line"]
    return LoadedProfile(
        profile,
        intern(entry["file"]),
        line,
        _lines(entry["lines"], line),
        # Interned: a large tree repeats a few tags, held here until the tree is checked.
        tuple(intern(tag) for tag in entry["tags"]),
    )
