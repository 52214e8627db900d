"""Folder defaults: ``_defaults.yaml`` is merged into every profile below its folder.

The nearest folder wins over folders above it, and the profile's own fields win over every default.
Mappings (``attributes``, ``identities``, ``custom_attributes``) merge key by key; any other value
(a list such as ``tags``, a scalar) is replaced whole. Tombstones take no defaults: they hold only
``key``, ``state`` and ``erasure``.

>>> merge_defaults([{"tags": ["vip"], "attributes": {"comms": {"email_promo": True}}}],
...                {"key": "jane", "attributes": {"comms": {"sms_promo": False}}})
{'tags': ['vip'], 'attributes': {'comms': {'email_promo': True, 'sms_promo': False}}, 'key': 'jane'}
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import PurePosixPath
from typing import Any

DEFAULTS_NAMES = ("_defaults.yaml", "_defaults.yml")
# Per-profile fields a folder cannot set for everyone below it.
NOT_DEFAULTABLE = ("key", "previous_keys", "state", "erasure", "profiles")


def merge_defaults(chain: Sequence[dict[str, Any]], profile: dict[str, Any]) -> dict[str, Any]:
    """``profile`` over ``chain`` (outermost folder first); nothing is mutated."""
    merged: dict[str, Any] = {}
    for layer in (*chain, profile):
        merged = _deep_merge(merged, layer)
    return merged


def _deep_merge(base: dict[str, Any], top: dict[str, Any]) -> dict[str, Any]:
    result = dict(base)
    for name, value in top.items():
        below = result.get(name)
        if isinstance(value, dict) and isinstance(below, dict):
            result[name] = _deep_merge(below, value)
        else:
            result[name] = value
    return result


def chain_for(relative_file: str, folders_with_defaults: Sequence[str]) -> list[str]:
    """The folders whose defaults apply to ``relative_file``, outermost first.

    >>> chain_for("customers/vip/jane.yaml", ["", "customers", "staff"])
    ['', 'customers']
    """
    parents = [p.as_posix() for p in PurePosixPath(relative_file).parents]
    applicable = {"" if p == "." else p for p in parents}
    return sorted((f for f in folders_with_defaults if f in applicable), key=_depth)


def _depth(folder: str) -> int:
    return 0 if folder == "" else folder.count("/") + 1
