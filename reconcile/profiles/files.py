"""Find and read the files of ``profiles.d/``: which are read, in what order, within what limits.

``.yaml``/``.yml`` files are profiles, ``.yaml.j2``/``.yml.j2`` files are Jinja2 templates of
profiles, ``_defaults.yaml`` holds folder defaults; everything else (and anything hidden) is
ignored and listed, so ``reconcile validate --verbose`` can say so. Files are read in the order of
their path, so every run sees the same tree the same way.

>>> tree = discover(Path("profiles.d"))      # doctest: +SKIP
>>> [f.name for f in tree.profiles]          # doctest: +SKIP
['profiles.d/customers/vip.yaml', ...]
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from reconcile.errors import FileProblem, Problem, ProfileError
from reconcile.profiles.defaults import DEFAULTS_NAMES

PROFILE_SUFFIXES = (".yaml", ".yml")
TEMPLATE_SUFFIXES = (".yaml.j2", ".yml.j2")
MIB = 1024 * 1024


@dataclass(frozen=True)
class SourceFile:
    """One file to read. ``name`` is how messages show it (``profiles.d/staff/alex.yaml``)."""

    path: Path
    name: str
    relative: str  # the path below profiles.d/, for folder defaults

    @property
    def is_template(self) -> bool:
        return self.path.name.endswith(TEMPLATE_SUFFIXES)

    @property
    def stem(self) -> str:
        """The default key of a one-profile file: the name without its suffixes."""
        return self.relative.rpartition("/")[2].split(".")[0]

    @property
    def folder(self) -> str:
        return self.relative.rpartition("/")[0]


@dataclass(frozen=True)
class Tree:
    profiles: tuple[SourceFile, ...]
    defaults: tuple[SourceFile, ...]
    ignored: tuple[str, ...]

    @property
    def has_templates(self) -> bool:
        return any(f.is_template for f in self.profiles)


def discover(root: Path) -> Tree:
    """Every file under ``root``, sorted by path and sorted into profiles, defaults and ignored."""
    if not root.is_dir():
        raise ProfileError([Problem(str(root), 0, "", "", "no such directory")])
    profiles: list[SourceFile] = []
    defaults: list[SourceFile] = []
    ignored: list[str] = []
    paths, hidden = _walk(root)
    prefix = (root if root.name not in ("", "..") else root.resolve()).name
    ignored.extend(f"{prefix}/{folder}/" for folder in hidden)
    for relative in paths:  # plain strings: pathlib costs too much per file at 100k files
        source = SourceFile(path=root / relative, name=f"{prefix}/{relative}", relative=relative)
        base_name = relative.rsplit("/", 1)[-1]
        if any(part.startswith(".") for part in relative.split("/")):
            ignored.append(source.name)
        elif base_name in DEFAULTS_NAMES:
            defaults.append(source)
        elif base_name.endswith(PROFILE_SUFFIXES + TEMPLATE_SUFFIXES) and source.path.is_file():
            profiles.append(source)
        else:
            ignored.append(source.name)
    return Tree(tuple(profiles), tuple(defaults), tuple(ignored))


def _walk(root: Path) -> tuple[list[str], list[str]]:
    """Paths of the files below ``root`` (relative, ``/``-separated) and the hidden folders
    skipped (``.git/`` and the like)."""
    found: list[str] = []
    hidden: list[str] = []
    top = str(root)
    for folder, dirs, files in os.walk(top):  # symlinked folders are not followed: no loops
        below = os.path.relpath(folder, top).replace(os.sep, "/")
        below = "" if below == "." else below + "/"
        hidden += [below + d for d in dirs if d.startswith(".")]
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        found.extend(below + name for name in files)
    return sorted(found), sorted(hidden)


def read_bytes(path: Path, *, max_bytes: int) -> bytes:
    """The file's bytes, refusing files over ``max_bytes`` before reading them."""
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise FileProblem(_too_large(size, max_bytes))
        with path.open("rb") as handle:
            # read(n) allocates n bytes up front: ask for the size stat gave, then for the rest
            # of the limit only if the file grew since stat.
            raw = handle.read(size + 1)
            if len(raw) > size:
                raw += handle.read(max_bytes + 1 - len(raw))
    except OSError as exc:
        raise FileProblem(f"cannot be read: {exc.strerror or exc}") from None
    if len(raw) > max_bytes:
        raise FileProblem(_too_large(len(raw), max_bytes))
    return raw


def decode_text(raw: bytes) -> str:
    """UTF-8 text (a leading byte-order mark is allowed); binary files are refused."""
    if b"\x00" in raw:
        raise FileProblem("is a binary file, not YAML text")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise FileProblem(
            f"is not UTF-8 text: byte 0x{raw[exc.start]:02x} at line {line} cannot be decoded; "
            "save the file as UTF-8",
            line,
        ) from None


def _too_large(size: int, max_bytes: int) -> str:
    return (
        f"is {_size(size)}, over the {_size(max_bytes)} limit for one file; "
        "split it into several files or use a template"
    )


def _size(count: int) -> str:
    return f"{count / MIB:.1f} MiB" if count >= MIB else f"{count:,} bytes"
