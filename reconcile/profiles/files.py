"""Find and read the files of ``profiles.d/``: which are read, in what order, within what limits.

``.yaml``/``.yml`` files are profiles, ``.yaml.j2``/``.yml.j2`` files are Jinja2 templates of
profiles, ``_defaults.yaml`` holds folder defaults; everything else (and anything hidden) is
skipped and listed with why, so ``reconcile validate --verbose`` can say so. A symbolic link is
explicit: read when it leads to a file inside the tree, an error at its path when it dangles,
loops, leads to a folder or out of the tree (see :func:`discover`). Files are read in the order
of their path, so every run sees the same tree the same way.

>>> tree = discover(Path("profiles.d"))      # doctest: +SKIP
>>> [f.name for f in tree.profiles]          # doctest: +SKIP
['profiles.d/customers/vip.yaml', ...]
"""

from __future__ import annotations

import errno
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from reconcile.errors import FileProblem, Problem, ProfileError
from reconcile.profiles.defaults import DEFAULTS_NAMES
from reconcile.profiles.portable import windows_problem

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
    """What ``profiles.d/`` holds: the files to read, the files skipped with why, and the
    entries that are errors (symbolic links that lead nowhere, loop, or leave the tree)."""

    profiles: tuple[SourceFile, ...]
    defaults: tuple[SourceFile, ...]
    skipped: tuple[tuple[str, str], ...]  # (name, why it is not read)
    problems: tuple[Problem, ...] = ()

    @property
    def ignored(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.skipped)

    @property
    def has_templates(self) -> bool:
        return any(f.is_template for f in self.profiles)


NOT_YAML = "not .yaml, .yml, .yaml.j2 or .yml.j2"
HIDDEN_FOLDER = "a hidden folder: nothing in it is read"
HIDDEN_FILE = "a hidden file"
NOT_REGULAR = "not a regular file (a FIFO, socket or device)"


def discover(root: Path, *, links_outside: bool = False) -> Tree:
    """Every file under ``root``, sorted by path and sorted into profiles, defaults and skipped.

    A symbolic link is read as the file it leads to, if that is a regular file inside ``root``
    (or anywhere, with ``links_outside``). A link that is dangling, loops, leads to a folder, or
    leaves ``root`` is an error at its path when its name would be read, and skipped with that
    reason otherwise; folders are never followed through a link.
    """
    if not root.is_dir():
        raise ProfileError([Problem(str(root), 0, "", "", "no such directory")])
    profiles: list[SourceFile] = []
    defaults: list[SourceFile] = []
    prefix = (root if root.name not in ("", "..") else root.resolve()).name
    walk = _Walk(root, links_outside)
    walk.run()
    skipped = [(f"{prefix}/{relative}", why) for relative, why in walk.skipped]
    problems = [Problem(f"{prefix}/{relative}", 0, "", "", why) for relative, why in walk.broken]
    for relative in walk.files:  # plain strings: pathlib costs too much per file at 100k files
        source = SourceFile(path=root / relative, name=f"{prefix}/{relative}", relative=relative)
        base_name = relative.rsplit("/", 1)[-1]
        if base_name.startswith("."):
            skipped.append((source.name, HIDDEN_FILE))
        elif base_name in DEFAULTS_NAMES:
            defaults.append(source)
        elif _read(base_name):
            if (why := _unportable(relative)) is not None:
                problems.append(Problem(source.name, 0, "", "", f"{why}: rename it{_KEEP_KEY}"))
            profiles.append(source)
        else:
            skipped.append((source.name, NOT_YAML))
    return Tree(tuple(profiles), tuple(defaults), tuple(sorted(skipped)), tuple(problems))


_KEEP_KEY = " (a one-profile file keeps its key with `key:`, e.g. con_.yaml holding key: con)"


def _unportable(relative: str) -> str | None:
    """Why Windows cannot check out the file at ``relative`` (its name or a folder's)."""
    for part in relative.split("/"):
        why = windows_problem(part)
        if why is not None:
            return why if part == relative.rsplit("/", 1)[-1] else f"the folder {part}/: {why}"
    return None


def _read(base_name: str) -> bool:
    return base_name.endswith(PROFILE_SUFFIXES + TEMPLATE_SUFFIXES)


class _Walk:
    """One pass over the tree with ``os.scandir``: a file's type comes with its directory entry,
    so only symbolic links cost a system call more."""

    def __init__(self, root: Path, links_outside: bool) -> None:
        self.top = str(root)
        self.real_top = os.path.realpath(root)
        self.links_outside = links_outside
        self.files: list[str] = []
        self.skipped: list[tuple[str, str]] = []
        self.broken: list[tuple[str, str]] = []

    def run(self) -> None:
        folders = [""]
        while folders:
            below = folders.pop()
            with os.scandir(os.path.join(self.top, below) if below else self.top) as entries:
                for entry in entries:
                    relative = below + entry.name
                    if entry.is_symlink():
                        self._link(relative, entry.path, entry.name)
                    elif entry.is_dir(follow_symlinks=False):
                        if entry.name.startswith("."):
                            self.skipped.append((relative + "/", HIDDEN_FOLDER))
                        else:
                            folders.append(relative + "/")
                    elif entry.is_file(follow_symlinks=False):
                        self.files.append(relative)
                    elif not entry.name.startswith("."):
                        self.skipped.append((relative, NOT_REGULAR))
        self.files.sort()
        self.broken.sort()

    def _link(self, relative: str, path: str, name: str) -> None:
        if name.startswith("."):
            self.skipped.append((relative, "a hidden symbolic link"))
            return
        why = self._link_problem(path)
        if why is None:
            self.files.append(relative)
        elif _read(name) or name in DEFAULTS_NAMES:
            self.broken.append((relative, why))
        else:
            self.skipped.append((relative, why))

    def _link_problem(self, path: str) -> str | None:
        """Why the link at ``path`` cannot be read as a file of the tree; None if it can."""
        target = os.readlink(path)
        try:
            status = os.stat(path)
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                return f"is a symbolic link loop (-> {target}): point it at a file"
            return f"is a symbolic link to {target}, which does not exist: fix or remove it"
        real = os.path.realpath(path)
        if stat.S_ISDIR(status.st_mode):
            return (
                f"is a symbolic link to a folder ({target}), which is not followed: move the "
                "folder into profiles.d/, or link its files one by one"
            )
        if not stat.S_ISREG(status.st_mode):
            return f"is a symbolic link to {target}, which is {NOT_REGULAR}"
        if not self.links_outside and os.path.commonpath([real, self.real_top]) != self.real_top:
            return (
                f"is a symbolic link to {real}, outside profiles.d/: copy the file in, or set "
                "follow_symlinks_outside = true in reconcile.toml"
            )
        return None


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
