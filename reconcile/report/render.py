"""Render a plan as terminal text, Markdown, JSON or HTML; the one seam for jinja2.

Each format has its template in ``templates/`` (JSON is a masked dump of the plan value). Personal
data is masked unless ``show_pii`` is set; a masked value that looks the same before and after is
marked ``(changed)``, so a reviewer still sees that it moved. Output is deterministic: the same
plan gives the same bytes.

>>> print(render(plan, "text"))                         # doctest: +SKIP
>>> comment = render(plan, "markdown")                  # doctest: +SKIP
>>> len(comment) <= MARKDOWN_LIMIT                      # doctest: +SKIP
True
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any, Literal, get_args

from jinja2 import (
    Environment,
    PackageLoader,
    StrictUndefined,
    select_autoescape,
)

from reconcile.errors import OptionError
from reconcile.model.fields import JsonValue
from reconcile.model.mask import is_pii, mask_value
from reconcile.plan.diff import FieldChange
from reconcile.plan.value import (
    FORMAT_VERSION,
    REPORT_ACTIONS,
    WITHHELD_FLAGS,
    Change,
    Conflict,
    Plan,
)

Format = Literal["text", "markdown", "json", "html"]
FORMATS: tuple[str, ...] = get_args(Format)
# GitHub refuses comments over 65,536 characters; stay well under so a CI job can add a header.
MARKDOWN_LIMIT = 60_000
_TEMPLATES = {"text": "plan.txt.j2", "markdown": "plan.md.j2", "html": "plan.html.j2"}
_SYMBOLS = {
    "create": "+",
    "adopt": "&",
    "restore": "^",
    "rename": ">",
    "update": "~",
    "delete": "-",
    "purge": "!",
}
_ANSI = {
    "create": "32",
    "adopt": "36",
    "restore": "32",
    "rename": "34",
    "update": "33",
    "delete": "31",
    "purge": "35",
    "conflict": "1;31",
    "warning": "1;33",
    "bold": "1",
    "dim": "2",
}
# When a Markdown comment must be cut, the changes a reviewer most needs to see go in first.
_PRIORITY = ("purge", "delete", "rename", "restore", "update", "adopt", "create")

_environment = Environment(
    loader=PackageLoader("reconcile.report", "templates"),
    undefined=StrictUndefined,
    keep_trailing_newline=True,
    trim_blocks=True,
    lstrip_blocks=True,
    autoescape=select_autoescape(enabled_extensions=("html.j2",), default=False),
)


def _md_code(value: object) -> str:
    """Inline code that no value can break out of (backticks, newlines, HTML)."""
    text = " ".join(str(value).split())
    return f"`` {text} ``" if "`" in text else f"`{text}`"


_environment.filters["md"] = _md_code


def render(plan: Plan, fmt: Format = "text", *, show_pii: bool = False, color: bool = False) -> str:
    """The plan in ``fmt``; ``color`` adds ANSI colours to ``text`` (for a terminal)."""
    if fmt == "json":
        return json_report(plan, show_pii=show_pii)
    if fmt not in _TEMPLATES:
        raise OptionError(f"unknown format {fmt!r}; use {', '.join(FORMATS)}", option="--format")
    context = _context(plan, show_pii=show_pii, color=color)
    if fmt == "markdown":
        return _markdown(context)
    return _environment.get_template(_TEMPLATES[fmt]).render(**context)


def shown_value(field: str, value: JsonValue, *, show_pii: bool, redacted: bool = False) -> str:
    """One value as a report prints it: masked if personal, ``(none)`` if absent."""
    visible = value if show_pii or redacted else mask_value(field, value)
    if visible is None:
        return "(none)"
    return visible if isinstance(visible, str) else json.dumps(visible, ensure_ascii=False)


def field_row(change: FieldChange, *, show_pii: bool) -> dict[str, str]:
    """``path``, ``before``, ``after`` and ``note`` of one field change, ready to print."""
    before = shown_value(change.field, change.before, show_pii=show_pii, redacted=change.redacted)
    after = shown_value(change.field, change.after, show_pii=show_pii)
    masked = is_pii(change.field) and (change.redacted or not show_pii)
    note = "(changed)" if masked and before == after else ""
    return {"path": change.path, "before": before, "after": after, "note": note}


def json_report(plan: Plan, *, show_pii: bool = False) -> str:
    """The plan as a JSON document (docs/plans.md: "The JSON format"); PII masked by default."""
    body: dict[str, Any] = plan.model_dump(
        mode="json", exclude=None if plan.signature else {"signature"}
    )
    body["changes"] = [_json_change(change, show_pii) for change in plan.changes]
    body["conflicts"] = [_json_conflict(conflict, show_pii) for conflict in plan.conflicts]
    body["withheld"] = [
        {**w.model_dump(mode="json"), "flag": WITHHELD_FLAGS[w.action]} for w in plan.withheld
    ]
    body["summary"] = _counts(plan)
    body["pii"] = "shown" if show_pii else "masked"
    body["format_version"] = FORMAT_VERSION
    return json.dumps(body, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def _json_change(change: Change, show_pii: bool) -> dict[str, Any]:
    data = change.model_dump(mode="json")
    if not show_pii:
        data["fields"] = [
            {
                **field.model_dump(mode="json"),
                "before": field.before if field.redacted else mask_value(field.field, field.before),
                "after": mask_value(field.field, field.after),
            }
            for field in change.fields
        ]
    return data


def _json_conflict(conflict: Conflict, show_pii: bool) -> dict[str, Any]:
    data = conflict.model_dump(mode="json")
    if not show_pii:
        data["values"] = {name: mask_value(name, v) for name, v in conflict.values.items()}
    return data


def _counts(plan: Plan) -> dict[str, int]:
    counts: dict[str, int] = {action: plan.count(action) for action in REPORT_ACTIONS}
    return {
        **counts,
        "conflicts": len(plan.conflicts),
        "unchanged": plan.unchanged,
        "withheld": len(plan.withheld),
    }


def _context(plan: Plan, *, show_pii: bool, color: bool) -> dict[str, Any]:
    def paint(text: str, role: str) -> str:
        return f"\x1b[{_ANSI[role]}m{text}\x1b[0m" if color and text else text

    def rows(change: Change) -> list[dict[str, str]]:
        return [field_row(field, show_pii=show_pii) for field in change.fields]

    def values(conflict: Conflict) -> str:
        return ", ".join(
            f"{name} {shown_value(name, value, show_pii=show_pii)}"
            for name, value in sorted(conflict.values.items())
        )

    def heading(change: Change) -> str:
        """The change's key; a rename shows where it comes from (``zoe → zoe-smith``)."""
        owner = f"identities.{plan.options.owner_handle}"
        moved = next((f.before for f in change.fields if f.field == owner and f.before), None)
        return f"{moved} → {change.key}" if moved else change.key

    return {
        "plan": plan,
        "actions": REPORT_ACTIONS,
        "heading": heading,
        "symbol": _SYMBOLS,
        "paint": paint,
        "rows": rows,
        "values": values,
        "md": _md_code,
        "counts": _counts(plan),
        "withheld": _withheld(plan),
        "selection": plan.options.selectors.describe(),
        "show_pii": show_pii,
    }


def _withheld(plan: Plan) -> list[dict[str, Any]]:
    """Deletes and purges left out for want of a flag, grouped by the flag that enables them."""
    groups = []
    for action, flag in WITHHELD_FLAGS.items():
        keys = [w.key for w in plan.withheld if w.action == action]
        if keys:
            groups.append({"action": action, "flag": flag, "keys": keys})
    return groups


def _markdown(context: dict[str, Any]) -> str:
    """Render Markdown, leaving out changes (destructive ones last) until it fits the limit."""
    plan: Plan = context["plan"]
    module = _environment.get_template("plan.md.macros.j2").make_module(context)
    change_block: Callable[[Change], str] = module.change_block  # type: ignore[attr-defined]
    conflict_block: Callable[[Conflict], str] = module.conflict_block  # type: ignore[attr-defined]
    blocks: dict[str, list[str]] = {
        action: [str(change_block(change)) for change in plan.of(action)]
        for action in REPORT_ACTIONS
    }
    conflicts = [str(conflict_block(conflict)) for conflict in plan.conflicts]
    budget = MARKDOWN_LIMIT
    while True:
        kept_conflicts, kept = _within(budget, conflicts, blocks)
        omitted = (
            len(conflicts)
            - len(kept_conflicts)
            + sum(len(blocks[a]) - len(kept[a]) for a in REPORT_ACTIONS)
        )
        text = _environment.get_template("plan.md.j2").render(
            **context, blocks=kept, conflict_blocks=kept_conflicts, omitted=omitted
        )
        if len(text) <= MARKDOWN_LIMIT:
            return text
        budget -= len(text) - MARKDOWN_LIMIT + 500


def _within(
    budget: int, conflicts: list[str], blocks: dict[str, list[str]]
) -> tuple[list[str], dict[str, list[str]]]:
    """Take conflicts first, then changes in order of priority, while they fit in ``budget``."""
    remaining = budget - 4_000  # the summary, section headers and footer
    kept_conflicts = list(_prefix(conflicts, remaining))
    remaining -= sum(len(block) for block in kept_conflicts)
    kept: dict[str, list[str]] = {}
    for action in _PRIORITY:
        kept[action] = list(_prefix(blocks[action], remaining))
        remaining -= sum(len(block) for block in kept[action])
    return kept_conflicts, kept


def _prefix(blocks: Iterable[str], budget: int) -> Iterable[str]:
    for block in blocks:
        budget -= len(block)
        if budget < 0:
            return
        yield block


# --- Profile templates (profiles.d/*.yaml.j2) -----------------------------------------------------
# Separate from plan rendering above: a sandboxed environment with no loader (no {% include %},
# no files), no environment variables, no Python internals, and no randomness, so the same
# template and variables always declare the same profiles.
