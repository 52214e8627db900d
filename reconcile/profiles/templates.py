"""Render profile templates (``*.yaml.j2``) in a hardened Jinja sandbox, keeping template lines
(each output line's template line, see :mod:`reconcile.profiles.template_lines`).

The environment (:mod:`reconcile.profiles.template_sandbox`) refuses what could escape the
sandbox, and each render has a budget (:mod:`reconcile.profiles.template_budget`) of work, value
sizes and nesting, besides its output limit, so every template ends soon and small. Templates get
``fake`` (:class:`reconcile.profiles.fake.FakeData`) for realistic, deterministic people.

>>> render_profile_template("key: {{ name }}", {"name": "jane"}, "a.yaml.j2")
'key: jane'
"""

from __future__ import annotations

import traceback
from collections.abc import Mapping
from typing import NamedTuple

from jinja2 import TemplateSyntaxError
from jinja2.exceptions import SecurityError

from reconcile.errors import Problem, ProfileError
from reconcile.profiles.fake import FakeData
from reconcile.profiles.template_budget import Budget, active
from reconcile.profiles.template_lines import last_line, strip_marks
from reconcile.profiles.template_sandbox import RangeBudget, template_environment

MAX_TEMPLATE_OUTPUT = 64 * 1024 * 1024


class RenderedTemplate(NamedTuple):
    """The YAML a template produced, and the template line that produced each output line."""

    text: str
    template_lines: tuple[int, ...]

    def template_line(self, output_line: int) -> int:
        if 1 <= output_line <= len(self.template_lines):
            return self.template_lines[output_line - 1]
        return self.template_lines[-1] if self.template_lines else 1


_profile_templates = template_environment()


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
    builtins = {"range": RangeBudget(), "fake": FakeData(seed_name or source_name)}
    budget = Budget()
    try:
        with active(budget):
            for chunk in template.generate({**variables, **builtins}):
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
    if isinstance(exc, SecurityError) and "budget" in str(exc):
        return str(exc)
    if isinstance(exc, SecurityError):
        return f"not allowed in a template ({exc})"
    if isinstance(exc, RecursionError):
        return "macros or loops call themselves too deeply"
    if isinstance(exc, MemoryError):
        return "the template ran out of memory"
    return str(exc) or type(exc).__name__


def _template_problem(source_name: str, line: int | None, message: str) -> ProfileError:
    return ProfileError([Problem(source_name, line or 1, "", "", message)])
