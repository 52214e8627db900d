"""profiles.d/ → validated :class:`DesiredProfile` values; the one seam for PyYAML.

>>> declared = load_profiles(Path("profiles.d"), phone_region="AU")   # doctest: +SKIP
>>> [p.key for p in declared.profiles]                                # doctest: +SKIP
['alex-admin', 'jane-vip', ...]

Every problem in the tree is collected and raised at once as a :class:`ProfileError`, each with
its file and line, so one run of ``reconcile validate`` shows all of them.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from reconcile.errors import Problem, ProfileError
from reconcile.model import DesiredProfile

YAML_SUFFIXES = (".yaml", ".yml")
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class Location(BaseModel):
    model_config = ConfigDict(frozen=True)

    file: str
    line: int


class DeclaredProfiles(BaseModel):
    """The loaded tree: profiles sorted by key, where each came from, and a digest of the inputs."""

    model_config = ConfigDict(frozen=True)

    profiles: tuple[DesiredProfile, ...]
    locations: dict[str, Location]
    digest: str

    def by_key(self) -> dict[str, DesiredProfile]:
        return {profile.key: profile for profile in self.profiles}


@dataclass
class _Entry:
    """One profile mapping read from YAML, with the line of each of its keys."""

    data: Any
    line: int
    field_lines: dict[str, int] = field(default_factory=dict)


def load_profiles(root: Path, *, phone_region: str | None) -> DeclaredProfiles:
    """Read, validate and normalise every profile under ``root``."""
    problems: list[Problem] = []
    profiles: dict[str, DesiredProfile] = {}
    locations: dict[str, Location] = {}
    digest = hashlib.sha256()
    for path in _profile_files(root):
        name = path.relative_to(root.parent).as_posix() if root.parent != path else path.name
        raw = path.read_bytes()
        digest.update(f"{name}\0{len(raw)}\0".encode() + raw)
        for entry in _read_entries(path, name, raw, problems):
            profile = _validate(entry, name, path, phone_region, problems)
            if profile is None:
                continue
            if profile.key in profiles:
                first = locations[profile.key]
                problems.append(
                    Problem(
                        name,
                        entry.line,
                        profile.key,
                        "key",
                        f"duplicate key; first declared at {first.file}:{first.line}",
                    )
                )
                continue
            profiles[profile.key] = profile
            locations[profile.key] = Location(file=name, line=entry.line)
    if problems:
        raise ProfileError(problems)
    ordered = tuple(profiles[key] for key in sorted(profiles))
    return DeclaredProfiles(profiles=ordered, locations=locations, digest=digest.hexdigest())


def _profile_files(root: Path) -> list[Path]:
    if not root.is_dir():
        raise ProfileError([Problem(str(root), 0, "", "", "no such directory")])
    return sorted(p for p in root.rglob("*") if p.is_file() and p.suffix in YAML_SUFFIXES)


def _read_entries(path: Path, name: str, raw: bytes, problems: list[Problem]) -> list[_Entry]:
    try:
        loader = _Loader(raw.decode("utf-8"))
        try:
            node: yaml.Node | None = loader.get_single_node()
            data = loader.construct_document(node) if node is not None else None
        finally:
            loader.dispose()
    except UnicodeDecodeError:
        problems.append(Problem(name, 0, "", "", "is not UTF-8 text"))
        return []
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else 0
        problems.append(Problem(name, line, "", "", f"YAML syntax error: {exc.problem}"))
        return []
    if isinstance(data, dict) and "profiles" in data:
        items = data["profiles"]
        item_nodes = _mapping_value(node, "profiles")
        if not isinstance(items, list) or not isinstance(item_nodes, yaml.SequenceNode):
            problems.append(
                Problem(name, _line(node), "", "profiles", "must be a list of profiles")
            )
            return []
        return [
            _entry(item, item_node) for item, item_node in zip(items, item_nodes.value, strict=True)
        ]
    if isinstance(data, dict):
        entry = _entry(data, node)
        entry.data = {"key": path.name.split(".")[0], **data}
        return [entry]
    problems.append(
        Problem(
            name, _line(node), "", "", "must be a mapping (one profile) or hold a 'profiles:' list"
        )
    )
    return []


def _entry(data: Any, node: yaml.Node | None) -> _Entry:
    entry = _Entry(data=data, line=_line(node))
    if isinstance(node, yaml.MappingNode):
        for key_node, _ in node.value:
            entry.field_lines[str(key_node.value)] = key_node.start_mark.line + 1
    return entry


def _mapping_value(node: yaml.Node | None, key: str) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode):
        return next((v for k, v in node.value if k.value == key), None)
    return None


def _line(node: yaml.Node | None) -> int:
    return node.start_mark.line + 1 if node is not None else 1


def _validate(
    entry: _Entry, name: str, path: Path, region: str | None, problems: list[Problem]
) -> DesiredProfile | None:
    if not isinstance(entry.data, dict):
        problems.append(Problem(name, entry.line, "", "", "a profile must be a mapping of fields"))
        return None
    key = str(entry.data.get("key", ""))
    try:
        return DesiredProfile.model_validate(entry.data, context={"phone_region": region})
    except ValidationError as exc:
        for error in exc.errors():
            loc = [str(part) for part in error["loc"]]
            field_name = ".".join(loc)
            line = entry.field_lines.get(loc[0], entry.line) if loc else entry.line
            problems.append(Problem(name, line, key, field_name, _message(error)))
        return None


def _message(error: Any) -> str:
    if error["type"] == "extra_forbidden":
        return "unknown field"
    return str(error["msg"]).removeprefix("Value error, ")
