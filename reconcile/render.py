"""Render a plan as terminal text or Markdown from the jinja2 templates in ``templates/``.

The one seam for jinja2. Personal data is masked unless ``show_pii`` is set.

>>> print(render(plan, "text"))          # doctest: +SKIP
"""

from __future__ import annotations

import json
from typing import Literal

from jinja2 import Environment, PackageLoader, StrictUndefined

from reconcile.mask import mask_value
from reconcile.model import JsonValue
from reconcile.plan import Change, Plan

Format = Literal["text", "markdown"]
_TEMPLATES = {"text": "plan.txt.j2", "markdown": "plan.md.j2"}
_SYMBOLS = {"create": "+", "adopt": "&", "update": "~", "delete": "-", "purge": "!"}

_environment = Environment(
    loader=PackageLoader("reconcile", "templates"),
    undefined=StrictUndefined,
    keep_trailing_newline=True,
    trim_blocks=True,
    lstrip_blocks=True,
    autoescape=False,
)


def render(plan: Plan, fmt: Format = "text", *, show_pii: bool = False) -> str:
    """The plan in ``fmt``; deterministic for a given plan."""

    def shown(field: str, value: JsonValue, redacted: bool = False) -> str:
        visible = value if show_pii or redacted else mask_value(field, value)
        if visible is None:
            return "(none)"
        return visible if isinstance(visible, str) else json.dumps(visible, ensure_ascii=False)

    template = _environment.get_template(_TEMPLATES[fmt])
    return template.render(
        plan=plan,
        shown=shown,
        symbol=_SYMBOLS,
        changes_of=lambda a: _of(plan, a),
        actions=("create", "adopt", "update", "delete", "purge"),
    )


def _of(plan: Plan, action: str) -> list[Change]:
    return [change for change in plan.changes if change.action == action]
