"""Render profile templates (``*.yaml.j2``) in a hardened Jinja sandbox, keeping template lines
(each output line's template line, see :mod:`reconcile.profiles.template_lines`).

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
    TemplateSyntaxError,
)
from jinja2.exceptions import SecurityError
from jinja2.sandbox import SandboxedEnvironment

from reconcile.errors import Problem, ProfileError
from reconcile.profiles.fake import TEMPLATE_ATTRIBUTES, FakeData
from reconcile.profiles.template_lines import LineMarks, last_line, strip_marks, unmarked, unmarking

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
        owner = getattr(__obj, "__self__", None)
        if isinstance(owner, str):  # str.center, str.strip, ...: on the text without line marks
            plain = unmarked(owner)
            __obj = getattr(plain, __obj.__name__) if plain is not owner else __obj
            args, kwargs = unmarked(args), {k: unmarked(v) for k, v in kwargs.items()}
            _refuse_huge((plain, *args, *kwargs.values()))
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
        extensions=[LineMarks],
    )
    for name in _SIZED_FILTERS:
        environment.filters[name] = _bounded_filter(environment.filters[name])
    for name, function in environment.filters.items():
        environment.filters[name] = unmarking(function)
    environment.filters.pop("random", None)
    environment.globals.pop("lipsum", None)
    return environment


_profile_templates = _template_environment()


def render_profile_template(text: str, variables: Mapping[str, object], source_name: str) -> str:
    r"""Render a profile template; errors are a ``ProfileError`` at the template's line.

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
    pieces: list[str] = []
    size = 0
    builtins = {
        "range": _RangeBudget(MAX_TEMPLATE_ITERATIONS),
        "fake": FakeData(seed_name or source_name),
    }
    stream = template.generate({**variables, **builtins})
    try:
        for chunk in stream:
            pieces.append(chunk)
            size += len(chunk)
            if size > max_output:
                limit = f"{max_output / (1024 * 1024):g} MiB"
                message = f"renders more than {limit} of YAML; split it into several templates"
                raise _template_problem(source_name, last_line(pieces), message)
    except ProfileError:
        raise
    except Exception as exc:  # anything a template can raise is the template author's mistake
        line = _template_error_line(exc, source_name) or last_line(pieces)
        raise _template_problem(source_name, line, f"template error: {_describe(exc)}") from None
    return RenderedTemplate(*strip_marks("".join(pieces)))


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
