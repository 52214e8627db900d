"""A cache of validated files under ``.reconcile/cache/``, so an unchanged tree loads at JSON speed.

An entry is keyed by a digest of everything its result depends on: the file's bytes and name, the
loader version, the phone region, the template variables (for templates) and the bytes of the
folder defaults that apply. An edited file therefore gets a new key and is read again; nothing is
ever served stale. Only files without problems are cached. An entry is revived without validating
it again, so it carries a SHA-256 of its content: a damaged, broken or unreadable entry is a miss.

>>> cache = ParseCache(Path(".reconcile/cache"))                  # doctest: +SKIP
>>> key = cache_key("v3", "AU", "profiles.d/jane.yaml", raw, ...)  # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from typing import Any

from reconcile import codec
from reconcile.model.declaration import Declaration
from reconcile.profiles.uniqueness import LoadedProfile


def cache_key(*parts: str | bytes) -> str:
    digest = hashlib.sha256()
    for part in parts:
        data = part.encode() if isinstance(part, str) else part
        digest.update(len(data).to_bytes(8, "big") + data)
    return digest.hexdigest()


class ParseCache:
    """Validated profiles per file, stored as JSON. ``directory=None`` disables the cache."""

    def __init__(self, directory: Path | None, *, remember: bool = True) -> None:
        self.directory = directory
        self.hits = 0
        # What this process put, until it reads it back: the loader's own share of a cold tree
        # is read again from here, not from the disk (see profiles/parallel.py). Not for a
        # shard's load (``remember=False``): it would hold every profile of that share whole.
        self._remember = remember
        self._written: dict[str, list[LoadedProfile]] = {}

    def has(self, key: str) -> bool:
        return self.directory is not None and (self.directory / f"{key}.json").exists()

    def get(self, key: str) -> list[LoadedProfile] | None:
        if self.directory is None:
            return None
        if (written := self._written.pop(key, None)) is not None:
            self.hits += 1
            return written
        try:
            raw = (self.directory / f"{key}.json").read_bytes()
            digest, _, payload = raw.partition(b"\n")
            if digest.decode() != hashlib.sha256(payload).hexdigest():
                return None  # damaged: entries are revived without validation, so never trusted
            loaded = [_revive(entry) for entry in codec.decode(payload)]
        except (OSError, ValueError, KeyError, TypeError, AttributeError, codec.DecodeError):
            return None
        self.hits += 1
        return loaded

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
            os.replace(temporary, self.directory / f"{key}.json")
        except OSError:
            pass  # the cache only saves time: a read-only checkout still loads

    def forget(self) -> None:
        """Drop what this process put and has not read back (a load is finished)."""
        self._written.clear()


def _entry(item: LoadedProfile) -> dict[str, Any]:
    profile = item.profile
    assert isinstance(profile, Declaration)  # a load outlines other shards' profiles after this
    return {
        "declaration": profile.entry(),
        "file": item.file,
        "line": item.line,
        "lines": item.lines,
        "tags": list(item.tags),
    }


def _revive(entry: dict[str, Any]) -> LoadedProfile:
    # Validated and normalised when the file was first read, and checksummed since: built again
    # without validating, and without building the model (docs/performance.md).
    profile = Declaration.from_entry(entry["declaration"])
    # Written by _entry and checksummed: the types are the ones written, so not converted again.
    return LoadedProfile(
        profile, entry["file"], entry["line"], entry["lines"], tuple(entry["tags"])
    )
