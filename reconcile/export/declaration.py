"""A tenant profile as a ``profiles.d/`` declaration, checked to load back as the same values.

:func:`declaration_of` keeps the writable fields that hold a value; :func:`check_declaration`
validates the result as the loader does and compares its flat view with the tenant's, dropping
(and reporting) whatever would not load back equal, so a plan over it changes no field.

>>> declaration = declaration_of(observed, owner_handle="reconcile", types={})   # doctest: +SKIP
>>> check_declaration("jane", declaration, observed, "AU")                       # doctest: +SKIP
[]
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import ValidationError

from reconcile.export.merge import flat_paths
from reconcile.model.desired import DesiredProfile
from reconcile.model.fields import (
    COMMS_FIELDS,
    SCALAR_FIELDS,
    SERVER_OWNED_COMMS,
    JsonValue,
    infer_custom_type,
)
from reconcile.model.observed import ObservedProfile
from reconcile.profiles.defaults import merge_defaults

_MATCH_FIELDS = ("email", "mobile_phone")
# What a user owns of the comms attributes: state Omneo sets itself is never declared by export.
_USER_COMMS = tuple(flag for flag in COMMS_FIELDS if flag not in SERVER_OWNED_COMMS)


def declaration_of(
    observed: ObservedProfile,
    *,
    owner_handle: str,
    types: dict[str, str],
    other_owners: frozenset[str] = frozenset(),
) -> dict[str, JsonValue]:
    """The fields a user owns of a tenant profile that hold a value, as a declaration: state
    Omneo sets itself (verification, bounces) is left to Omneo.

    No owner identity is copied: neither ``owner_handle``'s nor one of ``other_owners``
    (another project's, ``tenant/owners.py``), so a file never claims a profile for a project."""
    owners = {f"identities.{handle}" for handle in (owner_handle, *other_owners)}
    fields = observed.fields
    out: dict[str, JsonValue] = {
        name: fields[name] for name in SCALAR_FIELDS if fields.get(name) not in (None, "")
    }
    tags = fields.get("tags")
    if isinstance(tags, list) and tags:
        out["tags"] = list(tags)
    identities = {
        name.removeprefix("identities."): value
        for name, value in fields.items()
        if name.startswith("identities.") and name not in owners
    }
    if identities:
        out["identities"] = dict(sorted(identities.items()))
    comms = {f: fields.get(f"attributes.comms.{f}") for f in _USER_COMMS}
    comms = {flag: value for flag, value in comms.items() if value is not None}
    if comms:
        attributes: dict[str, JsonValue] = {"comms": comms}
        out["attributes"] = attributes
    custom = _custom_attributes(fields, types)
    if custom:
        out["custom_attributes"] = custom
    addresses = fields.get("addresses")
    if isinstance(addresses, list) and addresses:
        out["addresses"] = list(addresses)
    dates: dict[str, JsonValue] = {
        name.removeprefix("dates."): value
        for name, value in sorted(fields.items())
        if name.startswith("dates.") and isinstance(value, dict)
    }
    if dates:
        out["dates"] = dates  # the view's shape is the declaration's: date, recurring, ...
    return out


def _custom_attributes(
    fields: Mapping[str, JsonValue], types: dict[str, str]
) -> dict[str, JsonValue]:
    """``{namespace: {handle: value}}``; a value YAML would misread is ``{type, value}``."""
    custom: dict[str, dict[str, JsonValue]] = {}
    for name, value in sorted(fields.items()):
        if not name.startswith("custom_attributes.") or value is None:
            continue
        path = name.removeprefix("custom_attributes.")
        namespace, handle = path.split(".", 1)
        kind = types.get(path) or infer_custom_type(value)
        explicit = kind == "json" or kind != infer_custom_type(value)
        custom.setdefault(namespace, {})[handle] = (
            {"type": kind, "value": value} if explicit else value
        )
    return {namespace: handles for namespace, handles in custom.items()}


def check_declaration(
    key: str,
    declaration: dict[str, JsonValue],
    observed: ObservedProfile,
    region: str | None,
    defaults: Sequence[dict[str, Any]] = (),
) -> list[dict[str, str]]:
    """Drop what would not load back equal to the tenant; return what was dropped and why.

    ``defaults`` are the folder defaults the new file will sit under: a default the tenant does
    not match is overridden with the tenant's value (``null`` to clear) where a declaration can.
    ``field == "*"`` means the whole profile cannot be exported.
    """
    problems: list[dict[str, str]] = []
    stuck: set[str] = set()
    for _ in range(4):
        merged = merge_defaults(defaults, {"key": key, **declaration})
        try:
            profile = DesiredProfile.model_validate(merged, context={"phone_region": region})
        except ValidationError as exc:
            paths = {_error_path(e["loc"]) for e in exc.errors()}
            if "key" in paths:
                return [{"field": "*", "reason": f"key {key!r} is not a valid key"}]
            for path in sorted(paths):
                _drop(declaration, path)
                problems.append({"field": path, "reason": "Omneo's value does not validate"})
            continue
        view = profile.flat_view()
        moved = sorted(p for p, v in view.items() if observed.fields.get(p) != v and p not in stuck)
        if not moved:
            break
        own = flat_paths(declaration)
        for path in moved:
            if path in own:
                _drop(declaration, path)
                problems.append({"field": path, "reason": "would not load back as the same value"})
            elif not _override(declaration, path, observed):
                stuck.add(path)
                reason = "a folder default sets it and the tenant does not hold it"
                problems.append({"field": path, "reason": reason})
    if not any(p in declaration for p in (*_MATCH_FIELDS, "identities")):
        reason = "no email, mobile or identity to match it by: add an identity to adopt it"
        return [*problems, {"field": "*", "reason": reason}]
    return problems


def _override(declaration: dict[str, Any], path: str, observed: ObservedProfile) -> bool:
    """Declare the tenant's own value over a folder default; False where a file cannot."""
    value = observed.fields.get(path)
    if path in SCALAR_FIELDS:
        declaration[path] = value
    elif path in ("tags", "addresses"):
        declaration[path] = list(value) if isinstance(value, list) else []
    elif path.startswith("attributes.comms."):
        comms = declaration.setdefault("attributes", {}).setdefault("comms", {})
        comms[path.removeprefix("attributes.comms.")] = value
    elif path.startswith("dates."):  # null: the tenant holds no such date
        declaration.setdefault("dates", {})[path.removeprefix("dates.")] = value
    else:
        return False  # an identity or custom attribute cannot be declared absent
    return True


def _error_path(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc]
    if parts[0] in ("identities", "dates") and len(parts) > 1:
        return ".".join(parts[:2])
    if parts[0] == "custom_attributes" and len(parts) > 2:
        return ".".join(parts[:3])
    return parts[0]


def _drop(declaration: dict[str, Any], path: str) -> None:
    if path in declaration or "." not in path:
        declaration.pop(path, None)
        return
    head, rest = path.split(".", 1)
    if head == "attributes":
        head, rest = "attributes", rest.removeprefix("comms.")
        container = declaration.get("attributes", {}).get("comms", {})
    elif head == "custom_attributes":
        namespace, rest = rest.split(".", 1)
        container = declaration.get(head, {}).get(namespace, {})
    else:
        container = declaration.get(head, {})
    container.pop(rest, None)
    _prune(declaration)


def _prune(declaration: dict[str, Any]) -> None:
    for namespace, handles in list(declaration.get("custom_attributes", {}).items()):
        if not handles:
            del declaration["custom_attributes"][namespace]
    for name in ("identities", "custom_attributes", "dates"):
        if name in declaration and not declaration[name]:
            del declaration[name]
    if "attributes" in declaration and not declaration["attributes"].get("comms"):
        del declaration["attributes"]
