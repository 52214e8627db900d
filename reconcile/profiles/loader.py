"""profiles.d/ → validated declarations (:class:`Declaration`: what a plan needs of a
:class:`DesiredProfile`, the model revived on demand).

>>> declared = load_profiles(Path("profiles.d"), phone_region="AU")   # doctest: +SKIP
>>> [p.key for p in declared.profiles]                                # doctest: +SKIP
['alex-nguyen', 'priya-sharma', ...]

Every problem in the tree is collected and raised at once as a :class:`ProfileError`, each with
its file and line, so one run of ``reconcile validate`` shows all of them. Hostile input is refused
with a message, never a traceback: files over a size limit, binary or non-UTF-8 bytes, nesting
deeper than a limit, and YAML alias bombs (refused while counting, before anything large is built).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, NamedTuple

from pydantic import BaseModel, ConfigDict, field_validator

from reconcile.collector import paused
from reconcile.errors import ConfigError, FileProblem
from reconcile.model.declaration import Declaration
from reconcile.model.desired import DesiredProfile
from reconcile.profiles.cache import ParseCache, tool_version
from reconcile.profiles.declare import TreeRead, begin_tree
from reconcile.profiles.files import (
    MIB,
    PROFILE_SUFFIXES,
    decode_text,
    discover,
    read_bytes,
)
from reconcile.profiles.scalars import non_finite_word
from reconcile.profiles.uniqueness import Outline
from reconcile.profiles.yaml_reader import Limits, YamlReader
from reconcile.profiles.yaml_tree import plain_scalars

YAML_SUFFIXES = PROFILE_SUFFIXES  # kept for callers that name the profile suffixes


class Location(NamedTuple):
    """Where a profile is declared (a tuple: one per declared profile, made in a fraction of a
    frozen dataclass's time)."""

    file: str
    line: int


class DeclaredProfiles(BaseModel):
    """The loaded tree: profiles sorted by key, where each came from, and a digest of the inputs.

    ``digest`` covers every input that changes what the tree declares: each file's name and
    bytes (defaults included), the template variables, the phone region and the tool's version.
    A load for a shard (``keep``) holds the other shards' profiles in ``others``, as outlines
    (key, state, previous keys and unique values); the digest still covers the whole tree.
    """

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    profiles: tuple[Declaration, ...]
    locations: dict[str, Location]
    digest: str
    ignored: tuple[str, ...] = ()
    files: int = 0
    cached: int = 0
    warnings: tuple[str, ...] = ()  # not errors: one tag spelt two ways
    others: tuple[Outline, ...] = ()

    @field_validator("profiles", mode="before")
    @classmethod
    def _compact(cls, profiles: Any) -> Any:
        # A library caller may hand over models; the tree holds their compact form.
        return tuple(
            Declaration.of(p) if isinstance(p, DesiredProfile) else p for p in profiles or ()
        )

    def by_key(self) -> dict[str, Declaration]:
        return {profile.key: profile for profile in self.profiles}


def load_profiles(
    root: Path,
    *,
    phone_region: str | None,
    variables: Mapping[str, object] | None = None,
    cache_dir: Path | None = None,
    limits: Limits | None = None,
    owner_handle: str | None = None,
    links_outside: bool = False,
    keep: Callable[[str], bool] | None = None,
) -> DeclaredProfiles:
    """Read, validate and normalise every profile under ``root``.

    ``owner_handle``, when given, may not be declared as an identity (reconcile sets it).
    ``links_outside`` reads symbolic links that lead out of ``root`` (refused by default).
    ``keep`` (a shard's selection of keys) holds only the selected profiles whole; the tree is
    still checked as a whole (:attr:`DeclaredProfiles.others`).
    """
    return begin_loading(
        root,
        phone_region=phone_region,
        variables=variables,
        cache_dir=cache_dir,
        limits=limits,
        owner_handle=owner_handle,
        links_outside=links_outside,
        keep=keep,
    ).result()


def begin_loading(
    root: Path,
    *,
    phone_region: str | None,
    variables: Mapping[str, object] | None = None,
    cache_dir: Path | None = None,
    limits: Limits | None = None,
    owner_handle: str | None = None,
    links_outside: bool = False,
    keep: Callable[[str], bool] | None = None,
) -> Loading:
    """:func:`load_profiles` begun: a cold tree's files are parsed by worker processes while the
    caller does something else (``reconcile plan`` fetches the tenant); ``.result()`` finishes.
    Safe with threads running and under any start method (:mod:`reconcile.profiles.parallel`
    forks only when that is safe).

    >>> loading = begin_loading(Path("profiles.d"), phone_region="AU")  # doctest: +SKIP
    >>> listing = fetch_the_tenant()                                    # doctest: +SKIP
    >>> declared = loading.result()                                     # doctest: +SKIP
    """
    tree = discover(root, links_outside=links_outside)
    # Loading builds many small objects that all survive: the collector would only rescan them
    # (twice the load time at 100k profiles: docs/performance.md).
    with paused():
        read = begin_tree(
            tree,
            reader=YamlReader(limits or Limits()),
            cache=ParseCache(cache_dir, remember=keep is None),
            phone_region=phone_region,
            variables=dict(variables or {}),
            version=tool_version(),
            owner_handle=owner_handle,
            keep=keep,
        )
    return Loading(read)


class Loading:
    """A load of ``profiles.d/`` under way (:func:`begin_loading`)."""

    def __init__(self, read: TreeRead) -> None:
        self._read = read
        self._done: DeclaredProfiles | None = None

    def result(self) -> DeclaredProfiles:
        """The loaded tree (waits for the workers); raises ``ProfileError`` for a bad tree."""
        if self._done is None:
            with paused():
                self._done = self._finish()
        return self._done

    def _finish(self) -> DeclaredProfiles:
        loaded = self._read.finish()
        tree = self._read.tree
        ordered = sorted(loaded.profiles, key=lambda item: item.profile.key)
        whole = [item for item in ordered if isinstance(item.profile, Declaration)]
        return DeclaredProfiles(
            profiles=tuple(item.profile for item in whole),
            others=tuple(item.profile for item in ordered if isinstance(item.profile, Outline)),
            locations={item.profile.key: Location(item.file, item.line) for item in whole},
            digest=loaded.digest,
            ignored=tree.ignored,
            files=len(tree.profiles) + len(tree.defaults),
            cached=self._read.run.cache.hits,
            warnings=tuple(loaded.warnings),
        )


def ignored_files(root: Path) -> tuple[str, ...]:
    """The files under ``root`` that are not read (neither profiles, templates nor defaults)."""
    return discover(root).ignored


def skipped_files(root: Path, *, links_outside: bool = False) -> tuple[tuple[str, str], ...]:
    """Each file under ``root`` that is not read, with why: ``(name, reason)``."""
    return discover(root, links_outside=links_outside).skipped


def read_variables(path: Path) -> dict[str, object]:
    """Template variables from a YAML or JSON file holding one mapping. A number that is not
    finite is refused in every spelling (``.nan``, ``1e999``, ``NaN``, ``Infinity``); quoted, it
    is text."""
    try:
        text = decode_text(read_bytes(path, max_bytes=MIB))
        data, node = YamlReader(Limits()).parse(text, fully=True)
    except FileProblem as exc:
        where = f":{exc.line}" if exc.line else ""
        raise ConfigError(f"{path}{where}: {exc.message}") from None
    for word, line in sorted(plain_scalars(node), key=lambda item: item[1]) if node else []:
        if non_finite_word(word):  # as 1e999 and .nan are refused: no number that is not finite
            raise ConfigError(
                f"{path}:{line}: {word} is not a finite number (JSON readers and Python take it "
                f'for one); quote it ("{word}") for the text'
            )
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: must hold a mapping of variable names to values")
    return {str(name): value for name, value in data.items()}
