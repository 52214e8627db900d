"""Field-level differences between a declared and an observed profile; the one seam for deepdiff.

deepdiff costs far more than a plain equality check (docs/performance.md), so unchanged fields are
found with ``==`` on normalised values first; only fields that differ go to deepdiff.

>>> diff_fields({"email": "a@x.io", "tags": ["vip"]}, {"email": "b@x.io", "tags": ["vip"]})
[FieldChange(field='email', path='email', before='b@x.io', after='a@x.io', redacted=False)]
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from deepdiff import DeepDiff
from pydantic import BaseModel, ConfigDict, field_validator

from reconcile.model.fields import JsonValue, is_finite

# Lists compared as a whole value: tags are a set (normalised sorted), addresses a small list.
_WHOLE_VALUE_FIELDS = ("tags",)


class FieldChange(BaseModel):
    """One changed path: ``field`` is the managed flat-view field, ``path`` may go deeper."""

    model_config = ConfigDict(frozen=True)

    field: str
    path: str
    before: JsonValue
    after: JsonValue
    redacted: bool = False

    @field_validator("before", "after")
    @classmethod
    def _finite(cls, value: JsonValue) -> JsonValue:
        # JSON has no Infinity or NaN: a saved plan would hold null where the report showed one.
        if not is_finite(value):
            raise ValueError("holds Infinity or NaN, which a plan (JSON) cannot carry")
        return value

    def __repr__(self) -> str:
        return (
            f"FieldChange(field={self.field!r}, path={self.path!r}, before={self.before!r}, "
            f"after={self.after!r}, redacted={self.redacted!r})"
        )


def changed_fields(
    desired: Mapping[str, JsonValue], observed: Mapping[str, JsonValue]
) -> list[str]:
    """The declared fields whose normalised values differ (cheap: plain equality)."""
    if desired.items() <= observed.items():  # the common case, every pair compared in C
        return []
    return [name for name, value in desired.items() if observed.get(name) != value]


def diff_fields(
    desired: Mapping[str, JsonValue], observed: Mapping[str, JsonValue]
) -> list[FieldChange]:
    """Every changed path of the declared fields, sorted by path."""
    changed = changed_fields(desired, observed)
    if not changed:
        return []
    changes: list[FieldChange] = []
    deep: list[str] = []
    for name in changed:
        before, after = observed.get(name), desired[name]
        if name in _WHOLE_VALUE_FIELDS or not _is_container(before) or not _is_container(after):
            changes.append(FieldChange(field=name, path=name, before=before, after=after))
        else:
            deep.append(name)
    if deep:
        changes.extend(
            _deep_changes({n: observed.get(n) for n in deep}, {n: desired[n] for n in deep})
        )
    return sorted(changes, key=lambda change: change.path)


def _is_container(value: Any) -> bool:
    return isinstance(value, dict | list)


def _deep_changes(before: dict[str, Any], after: dict[str, Any]) -> list[FieldChange]:
    tree = DeepDiff(before, after, view="tree", threshold_to_diff_deeper=0)
    changes = []
    for levels in tree.values():
        for level in levels:
            parts = level.path(output_format="list")
            changes.append(
                FieldChange(
                    field=str(parts[0]),
                    path=_join_path(parts),
                    before=_plain(level.t1),
                    after=_plain(level.t2),
                )
            )
    return changes


def _join_path(parts: list[Any]) -> str:
    head, *rest = parts
    return str(head) + "".join(
        f"[{part}]" if isinstance(part, int) else f".{part}" for part in rest
    )


def _plain(value: Any) -> JsonValue:
    # deepdiff marks a missing side with its NotPresent sentinel; in a plan that is "absent" (None).
    return value if isinstance(value, str | int | float | bool | dict | list) else None
