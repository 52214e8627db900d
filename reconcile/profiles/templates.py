"""Render profile templates (``*.yaml.j2``) in a hardened Jinja sandbox, keeping template lines.

The environment refuses what could escape or exhaust the machine: attribute access outside the
sandbox, huge widths and repeat counts, too many loop iterations, too much output. Templates get
``fake`` (:class:`reconcile.profiles.fake.FakeData`) for realistic, deterministic people; of the
records it returns, only their own fields can be read.

>>> render_profile_template("key: {{ name }}", {"name": "jane"}, "a.yaml.j2")
'key: jane'
"""

from __future__ import annotations

import functools
import re
import traceback
from collections.abc import Callable, Iterable, Mapping
from typing import Any, NamedTuple

from jinja2 import (
    StrictUndefined,
    Template,
    TemplateSyntaxError,
)
from jinja2.exceptions import SecurityError
from jinja2.sandbox import SandboxedEnvironment

from reconcile.errors import Problem, ProfileError
from reconcile.profiles.fake import TEMPLATE_ATTRIBUTES, FakeData

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

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        if isinstance(obj, FakeData):
            return attr == "person"
        allowed = TEMPLATE_ATTRIBUTES.get(type(obj))
        if allowed is not None:  # a fake record: its own fields, nothing inherited
            return attr in allowed
        return bool(super().is_safe_attribute(obj, attr, value))

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
    seed_name: str | None = None,
) -> RenderedTemplate:
    """Like :func:`render_profile_template`, also mapping each output line to a template line.

    ``seed_name`` (the template's path below profiles.d/, by default ``source_name``) seeds
    ``fake``: the same name and arguments give the same people on every machine.
    """
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
    builtins = {
        "range": _RangeBudget(MAX_TEMPLATE_ITERATIONS),
        "fake": FakeData(seed_name or source_name),
    }
    stream = template.generate({**variables, **builtins})
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
