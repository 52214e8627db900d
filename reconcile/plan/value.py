"""The plan as a value: sorted, serialisable, checksummed; saved to and read from ``plans/``.

A saved plan holds no plaintext personal data that ``profiles.d/`` does not already hold: values
read from the tenant (the *before* side of a change) are masked before the plan is written.
Safety is part of the value: :func:`safety_reasons` marks a plan ``unsafe`` when it would update or
delete too large a share of the managed profiles, and ``apply`` refuses it without ``--force``.

>>> plan = Plan.load(Path("plans/local.json"))   # doctest: +SKIP
>>> plan.summary()                                # doctest: +SKIP
'1 to create, 0 to adopt, 2 to update, 0 to delete, 0 to purge, 0 conflicts, 7 unchanged'
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    ValidationError,
    model_serializer,
    model_validator,
)

from reconcile.errors import PlanError
from reconcile.model.fields import JsonValue
from reconcile.model.mask import is_pii, mask_value
from reconcile.plan.cost import ApplyCost
from reconcile.plan.diff import FieldChange
from reconcile.plan.options import PlanOptions
from reconcile.plan.reading import (
    UNSIGNED,
    canonical,
    first_difference,
    read_plan_json,
    refusal,
    shown,
)
from reconcile.plan.signing import sign, signature_problem

FORMAT_VERSION = 1
MAX_COUNT = 10**12  # profiles and requests: far past any tenant, and finite in every sum
Action = Literal["create", "adopt", "restore", "rename", "update", "delete", "purge"]
ACTIONS: tuple[Action, ...] = ("delete", "purge", "restore", "rename", "update", "adopt", "create")
# Order for people: what appears, then what changes, then what goes.
REPORT_ACTIONS: tuple[Action, ...] = (
    "create",
    "adopt",
    "restore",
    "rename",
    "update",
    "delete",
    "purge",
)
# Restores and renames are rare: the summary names them only when there are some.
OCCASIONAL_ACTIONS: tuple[Action, ...] = ("restore", "rename")
# The flag that lets each withheld action into a plan.
WITHHELD_FLAGS: dict[Action, str] = {"delete": "--allow-delete", "purge": "--allow-purge"}
ConflictKind = Literal[
    "ambiguous", "contested", "taken", "no-adopt", "managed-elsewhere", "unreadable"
]


class Change(BaseModel):
    """One profile to change; ``fingerprint`` is of the tenant profile it was computed from."""

    model_config = ConfigDict(frozen=True)

    action: Action
    key: str
    profile_id: str | None = None
    fingerprint: str | None = None
    fields: tuple[FieldChange, ...] = ()

    def sort_key(self) -> tuple[int, str]:
        return ACTIONS.index(self.action), self.key

    @property
    def erasure_reference(self) -> str | None:
        """The erasure request a purge carries out (``state: purged``), for the audit trail."""
        found = next((f.after for f in self.fields if f.path == "erasure.reference"), None)
        return None if found is None else str(found)


class Conflict(BaseModel):
    """Declared profiles that cannot be matched safely; never resolved by guessing.

    ``kind`` is one of ``ambiguous`` (one declared profile matches several tenant profiles),
    ``contested`` (one tenant profile is matched by several declared profiles), ``taken`` (a
    declared email, mobile or identity belongs to another tenant profile that keeps it) and
    ``no-adopt`` (a match that would be adopted, with ``--no-adopt``), ``managed-elsewhere`` (a
    match that another project's owner handle manages: never adopted) and ``unreadable`` (the
    tenant profile's answer holds a part reconcile cannot read). ``values`` holds the declared
    values involved (from profiles.d/, so they may be saved); reports mask them.
    """

    model_config = ConfigDict(frozen=True)

    kind: ConflictKind
    keys: tuple[str, ...]
    fields: tuple[str, ...]
    profile_ids: tuple[str, ...] = ()
    values: dict[str, JsonValue] = {}
    reason: str

    def sort_key(self) -> tuple[tuple[str, ...], str, tuple[str, ...]]:
        return self.keys, self.kind, self.fields


class Withheld(BaseModel):
    """A delete or purge left out of the plan: it needs ``--allow-delete`` or ``--allow-purge``."""

    model_config = ConfigDict(frozen=True)

    action: Literal["delete", "purge"]
    key: str
    reason: Literal["undeclared", "absent", "purged"]


class Plan(BaseModel):
    """Everything ``apply`` needs to carry out, and verify, what a reviewer approved."""

    model_config = ConfigDict(frozen=True)

    format_version: int = FORMAT_VERSION
    options: PlanOptions
    inputs_digest: str
    changes: tuple[Change, ...] = ()
    conflicts: tuple[Conflict, ...] = ()
    withheld: tuple[Withheld, ...] = Field(default=(), description="deletes and purges not enabled")
    managed: int = Field(default=0, ge=0, le=MAX_COUNT, description="managed in the selection")
    unchanged: int = Field(default=0, ge=0, le=MAX_COUNT)
    unsafe: tuple[str, ...] = ()
    api_calls: int = Field(default=0, ge=0, le=MAX_COUNT)
    cost: ApplyCost | None = Field(default=None, description="what applying it will cost")
    checksum: str = ""
    signature: str = Field(default="", description="HMAC of the checksum, with a plan key set")

    @model_validator(mode="before")
    @classmethod
    def _gather_options(cls, data: Any) -> Any:
        """A saved plan (format 1) writes its options at the top level, beside the changes."""
        if isinstance(data, dict) and "options" not in data:
            names = PlanOptions.model_fields
            options = {name: data[name] for name in names if name in data}
            data = {k: v for k, v in data.items() if k not in names} | {"options": options}
        return data

    @model_serializer(mode="wrap")
    def _flat(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        body: dict[str, Any] = handler(self)
        options = body.pop("options", {})
        if body.get("cost", {}) is None:  # a plan made before costs were estimated keeps its bytes
            del body["cost"]
        return {**options, **body}

    def count(self, action: Action) -> int:
        return sum(1 for change in self.changes if change.action == action)

    @property
    def has_changes(self) -> bool:
        return bool(self.changes)

    def of(self, action: Action) -> tuple[Change, ...]:
        return tuple(change for change in self.changes if change.action == action)

    @property
    def drifted(self) -> bool:
        """The tenant differs from profiles.d/: changes planned, or withheld for want of a flag."""
        return bool(self.changes or self.withheld)

    def summary(self) -> str:
        """One line: the count of each action, conflicts, unchanged, then what is withheld.

        >>> Plan(options=PlanOptions(tenant="t"), inputs_digest="").summary()
        '0 to create, 0 to adopt, 0 to update, 0 to delete, 0 to purge, 0 conflicts, 0 unchanged'
        """
        parts = [
            f"{self.count(a)} to {a}"
            for a in REPORT_ACTIONS
            if a not in OCCASIONAL_ACTIONS or self.count(a)
        ]
        line = ", ".join(
            [*parts, f"{len(self.conflicts)} conflicts", f"{self.unchanged} unchanged"]
        )
        withheld = self.withheld_summary()
        return f"{line}; withheld: {withheld}" if withheld else line

    def apply_flags(self) -> tuple[str, ...]:
        """The flags ``reconcile apply`` needs for this plan: it refuses deletes, purges and an
        unsafe plan without them, so a printed apply command names them."""
        flags = [flag for action, flag in WITHHELD_FLAGS.items() if self.count(action)]
        return (*flags, *(["--force"] if self.unsafe else []))

    def withheld_summary(self) -> str:
        """What is withheld and the flag that allows it: '1 to purge (needs --allow-purge)'."""
        return ", ".join(
            f"{count} to {action} (needs {flag})"
            for action, flag in WITHHELD_FLAGS.items()
            if (count := sum(1 for w in self.withheld if w.action == action))
        )

    def ordered(self) -> Plan:
        """Changes and conflicts in their canonical order, nothing else touched."""
        changes = tuple(sorted(self.changes, key=Change.sort_key))
        conflicts = tuple(sorted(self.conflicts, key=Conflict.sort_key))
        withheld = tuple(sorted(self.withheld, key=lambda w: (w.key, w.action)))
        return self.model_copy(
            update={"changes": changes, "conflicts": conflicts, "withheld": withheld}
        )

    def computed_checksum(self) -> str:
        """SHA-256 of the canonical bytes: catches accidental edits; anyone can recompute it."""
        body = self.model_dump(mode="json", exclude=set(UNSIGNED))
        return hashlib.sha256(canonical(body)).hexdigest()

    def sealed(self, key: bytes | None = None) -> Plan:
        """Sorted, PII-redacted and checksummed (and signed, with ``key``): the form that is
        saved and applied."""
        ordered = self.ordered()
        changes = tuple(_redacted(c) for c in ordered.changes)
        plan = ordered.model_copy(update={"changes": changes, "checksum": "", "signature": ""})
        checksum = plan.computed_checksum()
        signature = sign(checksum, key) if key else ""
        return plan.model_copy(update={"checksum": checksum, "signature": signature})

    def dumps(self) -> str:
        exclude = None if self.signature else {"signature"}  # unsigned plans keep their bytes
        return json.dumps(
            self.model_dump(mode="json", exclude=exclude),
            indent=2,
            sort_keys=True,
            ensure_ascii=False,
        )

    def save(self, path: Path, *, key: bytes | None = None) -> None:
        """Write the sealed plan to ``path`` whole or not at all (a temporary file beside it,
        then renamed over it), so a reader never finds half a plan."""
        if path.is_dir():
            raise PlanError(
                f"{path} is a folder: save the plan to a file, e.g. {path / 'NAME.json'}"
            )
        text = self.sealed(key).dumps() + "\n"
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
        except OSError as exc:
            raise PlanError(f"{path}: cannot be written ({exc.strerror or exc})") from None
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as file:
                file.write(text)
            os.chmod(temporary, 0o644)  # as an ordinary file (mkstemp makes it owner-only)
            os.replace(temporary, path)
        except OSError as exc:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise PlanError(f"{path}: cannot be written ({exc.strerror or exc})") from None

    @classmethod
    def load(cls, path: Path, *, key: bytes | None = None) -> Plan:
        """The plan saved at ``path``; with ``key``, only if a holder of that key signed it.

        The file is read as untrusted input (``plan/reading.py``): anything but a plan as
        ``save`` writes it is a one-line :class:`PlanError`, ``not a plan file: ...``."""
        data = read_plan_json(path)
        version = data.get("format_version")
        if type(version) is not int or version != FORMAT_VERSION:
            raise refusal(
                path, f"format_version is {repr(version)[:40]}; expected {FORMAT_VERSION}"
            )
        try:
            plan = cls.model_validate(data)
        except ValidationError as exc:
            raise refusal(path, _first_error(exc)) from None
        try:
            content = canonical(data)
        except UnicodeEncodeError:
            raise refusal(path, "it holds text that is not Unicode (a lone surrogate)") from None
        try:
            written = plan.model_dump(mode="json", exclude=set(UNSIGNED))
        except ValueError:  # pydantic's depth limit, a level or two under the file's
            raise refusal(path, "nested too deeply to be written back") from None
        if content != canonical(written):
            where = first_difference({k: v for k, v in data.items() if k not in UNSIGNED}, written)
            raise refusal(path, f"{shown(where)} is not as reconcile writes it (unknown or edited)")
        if data.get("checksum") != hashlib.sha256(content).hexdigest():
            raise PlanError(f"{path}: checksum mismatch: the plan was edited after it was made")
        if key and (problem := signature_problem(plan.checksum, plan.signature, key)):
            raise PlanError(f"{path}: {problem}")
        return plan


def _first_error(exc: ValidationError) -> str:
    """Where a plan file's content is wrong, and how, from pydantic's first error."""
    error = exc.errors(include_url=False, include_input=False)[0]
    loc = error["loc"][1:] if error["loc"][:1] == ("options",) else error["loc"]  # top level
    where = ".".join(str(part) for part in loc) or "the plan"
    message = "".join(c if c.isprintable() else repr(c)[1:-1] for c in str(error["msg"])[:120])
    more = exc.error_count() - 1
    return f"{shown(where)}: {message}" + (f" (and {more} more)" if more else "")


def _redacted(change: Change) -> Change:
    fields = tuple(
        field.model_copy(update={"before": mask_value(field.field, field.before), "redacted": True})
        if is_pii(field.field) and not field.redacted and field.before is not None
        else field
        for field in change.fields
    )
    return change.model_copy(update={"fields": fields})


def safety_reasons(
    *, managed: int, updates: int, deletes: int, threshold: float, floor: int
) -> tuple[str, ...]:
    """Why a plan is unsafe: it updates or deletes more than ``threshold`` of the managed profiles.

    Small tenants are exempt (fewer than ``floor`` managed profiles), as in octoDNS.

    >>> safety_reasons(managed=20, updates=2, deletes=9, threshold=0.3, floor=10)
    ('too many deletes: 9 of 20 managed profiles (45.0%) is over the 30% threshold',)
    """
    if managed < max(floor, 1):
        return ()
    reasons = []
    for what, count in (("updates", updates), ("deletes", deletes)):
        if count / managed > threshold:
            reasons.append(
                f"too many {what}: {count} of {managed} managed profiles "
                f"({count / managed:.1%}) is over the {threshold:.0%} threshold"
            )
    return tuple(reasons)
