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

import functools
import json
import re
import traceback
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Literal, NamedTuple, get_args

from jinja2 import (
    Environment,
    PackageLoader,
    StrictUndefined,
    Template,
    TemplateSyntaxError,
    select_autoescape,
)
from jinja2.exceptions import SecurityError
from jinja2.sandbox import SandboxedEnvironment

from reconcile.diff import FieldChange
from reconcile.errors import Problem, ProfileError
from reconcile.mask import mask_value
from reconcile.model import JsonValue, is_pii
from reconcile.plan import FORMAT_VERSION, REPORT_ACTIONS, Change, Conflict, Plan

Format = Literal["text", "markdown", "json", "html"]
FORMATS: tuple[str, ...] = get_args(Format)
# GitHub refuses comments over 65,536 characters; stay well under so a CI job can add a header.
MARKDOWN_LIMIT = 60_000
_TEMPLATES = {"text": "plan.txt.j2", "markdown": "plan.md.j2", "html": "plan.html.j2"}
_SYMBOLS = {"create": "+", "adopt": "&", "update": "~", "delete": "-", "purge": "!"}
_ANSI = {
    "create": "32",
    "adopt": "36",
    "update": "33",
    "delete": "31",
    "purge": "35",
    "conflict": "1;31",
    "warning": "1;33",
    "bold": "1",
    "dim": "2",
}
# When a Markdown comment must be cut, the changes a reviewer most needs to see go in first.
_PRIORITY = ("purge", "delete", "update", "adopt", "create")

_environment = Environment(
    loader=PackageLoader("reconcile", "templates"),
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
        raise ValueError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
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
    """The plan as a JSON document (see README "The JSON format"); masked unless ``show_pii``."""
    body: dict[str, Any] = plan.model_dump(mode="json")
    body["changes"] = [_json_change(change, show_pii) for change in plan.changes]
    body["conflicts"] = [_json_conflict(conflict, show_pii) for conflict in plan.conflicts]
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
    return {**counts, "conflicts": len(plan.conflicts), "unchanged": plan.unchanged}


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

    return {
        "plan": plan,
        "actions": REPORT_ACTIONS,
        "symbol": _SYMBOLS,
        "paint": paint,
        "rows": rows,
        "values": values,
        "md": _md_code,
        "counts": _counts(plan),
        "withheld": _withheld(plan),
        "selection": plan.selectors.describe(),
        "show_pii": show_pii,
    }


def _withheld(plan: Plan) -> list[dict[str, Any]]:
    """Deletes and purges left out for want of a flag, grouped by the flag that enables them."""
    groups = []
    for action, flag in (("delete", "--allow-delete"), ("purge", "--allow-purge")):
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

MAX_TEMPLATE_OUTPUT = 64 * 1024 * 1024


class RenderedTemplate(NamedTuple):
    """The YAML a template produced, and the template line that produced each output line."""

    text: str
    template_lines: tuple[int, ...]

    def template_line(self, output_line: int) -> int:
        if 1 <= output_line <= len(self.template_lines):
            return self.template_lines[output_line - 1]
        return self.template_lines[-1] if self.template_lines else 1


MAX_TEMPLATE_ITERATIONS = 2_000_000
_MAX_REPEAT = 1_000_000


# A width or count in a format spec ("%900000000s", "{:>900000000}") or a call ("x".center(N),
# "x"|indent(N)) builds a string that large in one step, before any output limit can see it.
_HUGE_WIDTH = re.compile(r"\d{7,}")
_SIZED_FILTERS = ("center", "indent", "wordwrap", "truncate", "format")


def _refuse_huge(values: Iterable[Any]) -> None:
    for value in values:
        if isinstance(value, int) and not isinstance(value, bool) and value > _MAX_REPEAT:
            raise SecurityError(f"a width or count over {_MAX_REPEAT:,}")
        if isinstance(value, str) and _HUGE_WIDTH.search(value) and ("%" in value or "{" in value):
            raise SecurityError(f"a format width over {_MAX_REPEAT:,}")
        if isinstance(value, tuple | list):
            _refuse_huge(value)


def _bounded_filter(original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def bounded(*args: Any, **kwargs: Any) -> Any:
        _refuse_huge((*args, *kwargs.values()))
        return original(*args, **kwargs)

    return bounded


class _BoundedSandbox(SandboxedEnvironment):
    """Jinja2's sandbox, also refusing operations that would build huge values in one step."""

    intercepted_binops = frozenset(["*", "**", "%"])

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator == "**" and isinstance(right, int) and abs(right) > 256:
            raise SecurityError("exponent over 256")
        if operator == "*":
            for items, times in ((left, right), (right, left)):
                sized = isinstance(items, str | list | tuple) and isinstance(times, int)
                if sized and len(items) * times > _MAX_REPEAT:
                    raise SecurityError(f"repetition longer than {_MAX_REPEAT:,} items")
        if operator == "%" and isinstance(left, str):
            _refuse_huge((left, right))
        return super().call_binop(context, operator, left, right)

    def call(
        __self,
        __context: Any,
        __obj: Any,
        *args: Any,
        **kwargs: Any,
    ) -> Any:
        if isinstance(getattr(__obj, "__self__", None), str):  # str.center, str.ljust, ...
            _refuse_huge((__obj.__self__, *args, *kwargs.values()))
        return super().call(__context, __obj, *args, **kwargs)

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        # str.format is wrapped when it is looked up, so `call` sees only the wrapper.
        if isinstance(getattr(value, "__self__", None), str):
            _refuse_huge((value.__self__,))
        return super().wrap_str_format(value)


class _RangeBudget:
    """``range`` for one render: every range drawn counts against one budget of iterations, so
    nested loops cannot run for hours while writing nothing."""

    def __init__(self, budget: int) -> None:
        self.left = budget

    def __call__(self, *args: int) -> range:
        numbers = range(*args)
        self.left -= len(numbers)
        if self.left < 0:
            raise SecurityError(f"loops over more than {MAX_TEMPLATE_ITERATIONS:,} numbers")
        return numbers


def _template_environment() -> SandboxedEnvironment:
    environment = _BoundedSandbox(
        loader=None,
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,
    )
    for name in _SIZED_FILTERS:
        environment.filters[name] = _bounded_filter(environment.filters[name])
    environment.filters.pop("random", None)
    environment.globals.pop("lipsum", None)
    return environment


_profile_templates = _template_environment()


def render_profile_template(text: str, variables: Mapping[str, object], source_name: str) -> str:
    """Render a profile template; errors are a ``ProfileError`` at the template's line.

    >>> render_profile_template("key: c{{ n }}\n", {"n": "7"}, "t.yaml.j2")
    'key: c7\n'
    """
    return render_profile_template_lines(text, variables, source_name).text


def render_profile_template_lines(
    text: str,
    variables: Mapping[str, object],
    source_name: str,
    *,
    max_output: int = MAX_TEMPLATE_OUTPUT,
) -> RenderedTemplate:
    """Like :func:`render_profile_template`, also mapping each output line to a template line."""
    try:
        code = _profile_templates.compile(text, name=source_name, filename=source_name)
    except TemplateSyntaxError as exc:
        message = f"template syntax error: {exc.message}"
        raise _template_problem(source_name, exc.lineno, message) from None
    template = _profile_templates.template_class.from_code(
        _profile_templates, code, _profile_templates.make_globals(None)
    )
    lines = _LineTracker(template, text)
    pieces: list[str] = []
    size = 0
    stream = template.generate({**variables, "range": _RangeBudget(MAX_TEMPLATE_ITERATIONS)})
    try:
        for chunk in stream:
            lines.feed(chunk, stream)
            pieces.append(chunk)
            size += len(chunk)
            if size > max_output:
                limit = f"{max_output / (1024 * 1024):g} MiB"
                message = f"renders more than {limit} of YAML; split it into several templates"
                raise _template_problem(source_name, lines.current, message)
    except ProfileError:
        raise
    except Exception as exc:  # anything a template can raise is the template author's mistake
        line = _template_error_line(exc, source_name) or lines.current
        raise _template_problem(source_name, line, f"template error: {_describe(exc)}") from None
    return RenderedTemplate("".join(pieces), tuple(lines.table))


class _LineTracker:
    """Which template line produced each output line, read off the render generator's frames."""

    def __init__(self, template: Template, source: str) -> None:
        self.template = template
        self.source = source
        self.starts = [0, *(i + 1 for i, c in enumerate(source) if c == "\n")]
        self.table: list[int] = []
        self.current = 1
        self.at_line_start = True
        self._literals: dict[tuple[int, str], int] = {}  # (yield site, text) → template line
        self._reported: dict[int, int] = {}  # yield site (compiled line) → template line
        self._expressions: set[int] = set()  # yield sites that write values, not template text

    def feed(self, chunk: str, stream: Any) -> None:
        python_line = _innermost_line(stream)
        start, literal = self._locate(python_line, chunk)
        line = start
        segments = chunk.split("\n")
        last = len(segments) - 1
        for index, segment in enumerate(segments):
            if self.at_line_start and (segment or index < last):
                self.table.append(line)  # this output line starts here, at this template line
                self.at_line_start = False
            if index < last:
                self.at_line_start = True
                line += 1 if literal else 0
        self.current = line

    def _locate(self, python_line: int, chunk: str) -> tuple[int, bool]:
        known = self._literals.get((python_line, chunk))
        if known is not None:
            return known, True
        reported = self._reported.get(python_line)
        if reported is None:
            reported = self.template.get_corresponding_lineno(python_line) if python_line else 0
            self._reported[python_line] = reported
        if not reported:
            return self.current, False
        if python_line in self._expressions:
            return reported, False
        line, literal = self._find_literal(reported, chunk)
        if literal:
            self._literals[(python_line, chunk)] = line
        else:
            self._expressions.add(python_line)
        return line, literal

    def _find_literal(self, reported: int, chunk: str) -> tuple[int, bool]:
        # Literal text is reported at the line its token starts, which after a trimmed block
        # tag is the tag's line: look for the text itself on that line or the next.
        offset = self.source.find(chunk, self.starts[min(reported, len(self.starts)) - 1])
        if offset >= 0:
            line = self.source.count("\n", 0, offset) + 1
            if line - reported in (0, 1):
                return line, True
        return reported, False


def _innermost_line(stream: Any) -> int:
    frame_owner = stream
    while getattr(frame_owner, "gi_yieldfrom", None) is not None:
        frame_owner = frame_owner.gi_yieldfrom
    frame = getattr(frame_owner, "gi_frame", None)
    return frame.f_lineno if frame is not None else 0


def _template_error_line(exc: BaseException, source_name: str) -> int:
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename == source_name]
    return frames[-1].lineno or 0 if frames else 0


def _describe(exc: BaseException) -> str:
    if isinstance(exc, TypeError) and "no loader" in str(exc):
        return "templates cannot include, import or extend other files"
    if isinstance(exc, SecurityError):
        return f"not allowed in a template ({exc})"
    return str(exc) or type(exc).__name__


def _template_problem(source_name: str, line: int | None, message: str) -> ProfileError:
    return ProfileError([Problem(source_name, line or 1, "", "", message)])
