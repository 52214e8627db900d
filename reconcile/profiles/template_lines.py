"""Which template line produced each line of a rendered profile template.

Jinja reports a line for the code it runs, not for the text it writes, and text written after a
block (``{% endif %}``, ``{% endfor %}``), with whitespace control, or by a macro is reported at the
wrong line or not at all. So the template's own text carries its line: :class:`LineMarks`, a Jinja
extension, wraps every piece of template text, as it is compiled, in invisible marks holding the
line it starts on; :func:`strip_marks` removes them from the output and returns, for each output
line, the template line it came from. The marks travel with the text through loops, conditionals
and macro calls. Text captured to be computed with (``{% set x %}…{% endset %}``,
``{% filter %}``) is left unmarked, and marks are taken off any value given to a filter or a
string method (see :func:`unmarked`), so no template computes a different result because of them.

>>> text, lines = strip_marks(f"{mark(1, 'a: 1')}\\n{mark(3, 'b: 2')}\\n")
>>> text, lines
('a: 1\\nb: 2\\n', (1, 3))
"""

from __future__ import annotations

import functools
import re
import secrets
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from jinja2.ext import Extension
from jinja2.lexer import Token, TokenStream

# Private-use characters plus a per-process nonce: a value holding these by chance cannot be taken
# for a mark.
_NONCE = secrets.token_hex(4)
_OPEN, _CLOSE, _END = "\ue000" + _NONCE, "\ue001", "\ue002" + _NONCE
_MARKS = re.compile(f"{_OPEN}(\\d+){_CLOSE}|{_END}")
_CAPTURING = {"set": "endset", "filter": "endfilter"}


def mark(line: int, text: str) -> str:
    """``text`` from template line ``line``, as a marked template writes it."""
    return f"{_OPEN}{line}{_CLOSE}{text}{_END}"


class LineMarks(Extension):
    """Marks every piece of template text with its line as the template is compiled."""

    def filter_stream(self, stream: TokenStream) -> Iterator[Token]:
        captured = 0  # inside {% set x %}…{% endset %} or {% filter %}…{% endfilter %}
        tag: list[Token] = []
        for token in stream:
            if tag or token.type == "block_begin":
                tag.append(token)
                if token.type == "block_end":
                    captured += _capture_change(tag)
                    yield from tag
                    tag = []
                continue
            if token.type == "data" and not captured:
                token = Token(token.lineno, "data", mark(token.lineno, token.value))
            yield token
        yield from tag


def _capture_change(tag: list[Token]) -> int:
    """+1 where a tag starts capturing text, -1 where it ends, else 0."""
    name = tag[1].value if len(tag) > 1 and tag[1].type == "name" else ""
    if name in _CAPTURING:  # a `{% set x = … %}` assigns, it captures nothing
        return 0 if any(token.type == "assign" for token in tag) else 1
    return -1 if name in _CAPTURING.values() else 0


def unmarked(value: Any) -> Any:
    """``value`` without marks (in a list or tuple too): what a filter or method must see."""
    if isinstance(value, str):
        return _MARKS.sub("", value) if _OPEN in value or _END in value else value
    if isinstance(value, list | tuple):
        return type(value)(unmarked(item) for item in value)
    return value


def unmarking(function: Callable[..., Any]) -> Callable[..., Any]:
    """``function`` (a filter) called with its arguments unmarked."""

    @functools.wraps(function)  # keeps jinja_pass_arg (pass_context and the like)
    def call(*args: Any, **kwargs: Any) -> Any:
        return function(*(unmarked(a) for a in args), **{k: unmarked(v) for k, v in kwargs.items()})

    return call


def strip_marks(text: str) -> tuple[str, tuple[int, ...]]:
    """The output without marks, and the template line where each output line starts.

    Inside marked text each newline moves to the next template line; text written by an
    expression (``{{ … }}``) stays on the line of the text around it.
    """
    parts = _MARKS.split(text)
    pieces: list[str] = []
    table: list[int] = []
    line, literal, at_start = 1, False, True
    for index, part in enumerate(parts):
        if index % 2:  # a mark: an opening one holds a line, a closing one nothing
            line, literal = (int(part), True) if part is not None else (line, False)
            continue
        if not part:
            continue
        pieces.append(part)
        line, at_start = _lines(part, line, literal, at_start, table)
    return "".join(pieces), tuple(table)


def _lines(
    part: str, line: int, literal: bool, at_start: bool, table: list[int]
) -> tuple[int, bool]:
    if "\n" not in part:  # most parts: a value, or text within a line
        if at_start:
            table.append(line)
        return line, False
    segments = part.split("\n")
    last = len(segments) - 1
    for index, segment in enumerate(segments):
        if at_start and (segment or index < last):
            table.append(line)  # an output line starts here, at this template line
            at_start = False
        if index < last:
            at_start = True
            line += 1 if literal else 0
    return line, at_start


def last_line(pieces: Iterable[str]) -> int:
    """The template line that the output so far ends on (where a render stopped)."""
    table = strip_marks("".join(pieces))[1]
    return table[-1] if table else 1
