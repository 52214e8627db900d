"""Update one declaration in place so that it says what the tenant holds, and nothing more.

Works on flat paths (``email``, ``identities.shopify``, ``attributes.comms.sms_promo``,
``custom_attributes.loyalty.tier``): a path whose declared value already equals the tenant's (after
normalisation, so ``0412 345 678`` equals ``+61412345678``) is not touched, which keeps the way a
person wrote it. A declared path that the tenant no longer holds is cleared; a declared path whose
tenant value could not be exported is left as the person wrote it.

>>> entry = {"first_name": "Jane", "tags": ["a"]}          # doctest: +SKIP
>>> merge_entry(entry, {"first_name": "Janet"}, view, observed)   # doctest: +SKIP
True
"""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping
from typing import Any

from reconcile.export import yaml_writer
from reconcile.model.fields import JsonValue

_CLEARED_AS_EMPTY_LIST = ("tags", "addresses")


def flat_paths(declaration: Mapping[str, Any]) -> set[str]:
    """The flat-view paths an export declaration manages."""
    paths: set[str] = set()
    for name, value in declaration.items():
        if name in ("identities", "dates"):
            paths |= {f"{name}.{handle}" for handle in value}
        elif name == "attributes":
            paths |= {f"attributes.comms.{flag}" for flag in value.get("comms", {})}
        elif name == "custom_attributes":
            paths |= {f"custom_attributes.{ns}.{h}" for ns, hs in value.items() for h in hs}
        elif name != "key":
            paths.add(name)
    return paths


def merge_entry(
    entry: MutableMapping[str, Any],
    declaration: Mapping[str, Any],
    declared_view: Mapping[str, JsonValue],
    observed: Mapping[str, JsonValue],
) -> bool:
    """Bring ``entry`` in line with ``declaration``; True when anything changed."""
    exported = flat_paths(declaration)
    changed = False
    for path in sorted(exported | set(declared_view)):
        have = declared_view.get(path, _MISSING)
        if path in exported:
            if have == observed.get(path):
                continue
            _set(entry, path, declaration)
        else:
            if observed.get(path) not in (None, []) or have in (None, []):
                continue  # the tenant holds a value export could not write: leave it be
            if not _clear(entry, path):
                continue
        changed = True
    return changed


_MISSING = object()


def _set(entry: MutableMapping[str, Any], path: str, declaration: Mapping[str, Any]) -> None:
    head, _, rest = path.partition(".")
    if not rest:
        yaml_writer.set_value(entry, head, declaration[head])
    elif head in ("identities", "dates"):
        yaml_writer.set_value(yaml_writer.child_mapping(entry, head), rest, declaration[head][rest])
    elif head == "attributes":
        flag = rest.removeprefix("comms.")
        comms = yaml_writer.child_mapping(yaml_writer.child_mapping(entry, head), "comms")
        yaml_writer.set_value(comms, flag, declaration[head]["comms"][flag])
    else:
        namespace, handle = rest.split(".", 1)
        handles = yaml_writer.child_mapping(yaml_writer.child_mapping(entry, head), namespace)
        yaml_writer.set_value(handles, handle, declaration[head][namespace][handle])


def _clear(entry: MutableMapping[str, Any], path: str) -> bool:
    head, _, rest = path.partition(".")
    if not rest:
        yaml_writer.set_value(entry, head, [] if head in _CLEARED_AS_EMPTY_LIST else None)
        return True
    if head == "attributes":
        comms = yaml_writer.child_mapping(yaml_writer.child_mapping(entry, head), "comms")
        yaml_writer.set_value(comms, rest.removeprefix("comms."), None)
        return True
    # An identity or custom attribute cannot be null: remove it, if this entry declares it;
    # and a date the tenant no longer holds goes from the file too, rather than stay as null.
    parent: Any = entry.get(head)
    parts = [rest] if head in ("identities", "dates") else rest.split(".", 1)
    chain = [parent]
    for part in parts[:-1]:
        parent = parent.get(part) if isinstance(parent, MutableMapping) else None
        chain.append(parent)
    if not isinstance(parent, MutableMapping) or parts[-1] not in parent:
        return False  # declared by a folder default, not by this entry
    del parent[parts[-1]]
    if head == "dates" and not parent:
        del entry[head]
    elif head == "custom_attributes" and not parent and isinstance(chain[0], MutableMapping):
        del chain[0][parts[0]]
    return True
