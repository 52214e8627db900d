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
from typing import Any, Literal, TypeVar, get_args

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
    Action,
    Change,
    Conflict,
    Plan,
)
from reconcile.report.escape import clipped, json_visible, md_code, md_text, visible

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
_PRIORITY: tuple[Action, ...] = (
    "purge",
    "delete",
    "rename",
    "restore",
    "update",
    "adopt",
    "create",
)
# Room for what the frame says differently once blocks are in ("showing N" of each action, the
# count of omitted changes); each withheld group's share of the comment; a key's longest form.
_MARKDOWN_SLACK = 400
_WITHHELD_BUDGET = 6_000
_KEY_CLIP = 200
Block = TypeVar("Block", Change, Conflict)

_environment = Environment(
    loader=PackageLoader("reconcile.report", "templates"),
    undefined=StrictUndefined,
    keep_trailing_newline=True,
    trim_blocks=True,
    lstrip_blocks=True,
    autoescape=select_autoescape(enabled_extensions=("html.j2",), default=False),
)


_environment.filters["v"] = visible
_environment.filters["md"] = md_code
_environment.filters["mdt"] = md_text
_environment.globals["clip"] = clipped


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
    return json_visible(json.dumps(body, indent=2, sort_keys=True, ensure_ascii=False)) + "\n"


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
        "md": md_code,
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
    """Render Markdown under the limit: the frame (summary, warnings, withheld keys up to a
    budget) is rendered once, then changes, destructive ones first, while they fit.

    Each change and conflict is rendered at most once and the frame at most three times, so the
    time is linear in the plan's size; a frame that cannot fit gives the short form."""
    plan: Plan = context["plan"]
    module = _environment.get_template("plan.md.macros.j2").make_module(context)
    change_block: Callable[[Change], object] = module.change_block  # type: ignore[attr-defined]
    conflict_block: Callable[[Conflict], object] = module.conflict_block  # type: ignore[attr-defined]
    context = {**context, "withheld": _withheld_shown(context["withheld"])}
    template = _environment.get_template("plan.md.j2")
    nothing: dict[str, list[str]] = {action: [] for action in REPORT_ACTIONS}
    everything = len(plan.changes) + len(plan.conflicts)
    frame = template.render(**context, blocks=nothing, conflict_blocks=[], omitted=everything)
    budget = MARKDOWN_LIMIT - len(frame) - _MARKDOWN_SLACK
    kept_conflicts, budget = _fitting(plan.conflicts, conflict_block, budget)
    kept: dict[str, list[str]] = {}
    for action in _PRIORITY:
        kept[action], budget = _fitting(plan.of(action), change_block, budget)
    shown = len(kept_conflicts) + sum(len(blocks) for blocks in kept.values())
    text = template.render(
        **context, blocks=kept, conflict_blocks=kept_conflicts, omitted=everything - shown
    )
    if len(text) <= MARKDOWN_LIMIT:
        return text
    if len(frame) <= MARKDOWN_LIMIT:  # not reached while the slack covers the counts' digits
        return frame
    return _environment.get_template("plan.md.short.j2").render(**context)


def _fitting(
    items: Iterable[Block], block: Callable[[Block], object], budget: int
) -> tuple[list[str], int]:
    """The blocks of the first ``items`` that fit in ``budget``, and the budget left."""
    kept: list[str] = []
    for item in items:
        text = str(block(item))
        if len(text) > budget:
            break
        kept.append(text)
        budget -= len(text)
    return kept, budget


def _withheld_shown(groups: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each withheld group with the keys that fit its share of a comment, as code spans, and
    how many more there are ("… and N more")."""
    shown_groups = []
    for group in groups:
        shown: list[str] = []
        left = _WITHHELD_BUDGET
        for key in group["keys"]:
            span = md_code(clipped(key, _KEY_CLIP))
            left -= len(span) + 2
            if left < 0:
                break
            shown.append(span)
        shown_groups.append({**group, "shown": shown, "more": len(group["keys"]) - len(shown)})
    return shown_groups
