"""The budgets one profile template renders within, so that any template ends soon and small.

Every render gets a :class:`Budget` of *steps*: a loop's item, a call (a macro, a method, a
function), a filter, a test, a comparison, a concatenation each cost one step, plus the size of
what they handle and build (an item of a list, or 64 characters of ASCII text, 16 of other text,
is one step). So the time a render takes and the memory it builds are both bounded by the steps,
whichever way a template spends them. Beside it, no value a template builds (a text, a list, a
mapping, a macro's output, a ``{% set %}`` block) may hold more than :data:`MAX_TEMPLATE_VALUE`
characters or items, no whole number more than :data:`MAX_TEMPLATE_INT_BITS` bits, and macros and
recursive loops nest at most :data:`MAX_TEMPLATE_DEPTH` deep. A check that can tell in advance
(``replace``, ``join``, ``~``, ``*``, ``**``) refuses before anything large is built.

Going over a budget raises jinja2's ``SecurityError`` with a message naming the budget and its
limit; the renderer (:mod:`reconcile.profiles.templates`) reports it at the template's line.

>>> with active(Budget()):
...     concatenated(("a", 1))
'a1'
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from itertools import islice
from typing import Any

from jinja2.exceptions import SecurityError
from jinja2.utils import _PassArg

MAX_TEMPLATE_STEPS = 1_000_000
MAX_TEMPLATE_VALUE = 1_000_000
MAX_TEMPLATE_INT_BITS = 10_000
MAX_TEMPLATE_DEPTH = 100
# fake.person is the one call priced by count: a person costs about 1 ms (Faker), a thousand loop
# items; the 5,000-customer seed asks for 5,000 (a larger seed: several templates, with offset).
MAX_TEMPLATE_PEOPLE = 5_000
_ASCII_PER_STEP = 64
_TEXT_PER_STEP = 16  # a character outside ASCII may take 4 bytes
SIZED = (str, list, tuple, dict, set, frozenset, range)


class Budget:
    """What is left of one render's budget."""

    __slots__ = ("depth", "people", "steps")

    def __init__(self) -> None:
        self.steps = MAX_TEMPLATE_STEPS
        self.depth = 0
        self.people: set[object] = set()

    def person(self, asked: object) -> None:
        """One more call of ``fake.person``; the same person asked again costs nothing more."""
        self.people.add(asked)
        if len(self.people) > MAX_TEMPLATE_PEOPLE:
            raise SecurityError(
                f"asks fake for more than {MAX_TEMPLATE_PEOPLE:,} people (the template budget; "
                "about 1 ms each): split the people over several templates"
            )

    def charge(self, steps: int) -> None:
        self.steps -= steps
        if self.steps < 0:
            raise SecurityError(
                f"over the template budget of {MAX_TEMPLATE_STEPS:,} steps (loop items, calls, "
                "filters and the size of what they handle): the template does too much work"
            )

    def enter(self) -> None:
        self.depth += 1
        if self.depth > MAX_TEMPLATE_DEPTH:
            raise SecurityError(
                f"macros or recursive loops nest more than {MAX_TEMPLATE_DEPTH} deep "
                "(the template budget's depth)"
            )


_ACTIVE: ContextVar[Budget | None] = ContextVar("template_budget", default=None)


@contextmanager
def active(budget: Budget) -> Iterator[Budget]:
    """``budget`` is the one charged while the block runs (one render)."""
    token = _ACTIVE.set(budget)
    try:
        yield budget
    finally:
        _ACTIVE.reset(token)


def current() -> Budget:
    # Outside a render (Jinja folds constant expressions while compiling): a fresh budget.
    return _ACTIVE.get() or Budget()


def cost(value: Any) -> int:
    """The steps it takes to handle ``value``: its items, or its text by the 64 characters."""
    if isinstance(value, str):
        return len(value) // (_ASCII_PER_STEP if value.isascii() else _TEXT_PER_STEP)
    if isinstance(value, SIZED):
        return len(value)
    return 0


def checked(value: Any) -> Any:
    """``value`` if it is within the size budgets, else the budget's error."""
    if isinstance(value, str):
        _within(len(value), "a text", "characters")
    elif isinstance(value, SIZED):
        _within(len(value), f"a {type(value).__name__}", "items")
    elif isinstance(value, int) and value.bit_length() > MAX_TEMPLATE_INT_BITS:
        raise SecurityError(
            f"builds a number of more than {MAX_TEMPLATE_INT_BITS:,} bits (the template budget)"
        )
    return value


def _within(size: int, what: str, unit: str) -> None:
    if size > MAX_TEMPLATE_VALUE:
        raise SecurityError(
            f"builds {what} of {size:,} {unit}; the template budget allows "
            f"{MAX_TEMPLATE_VALUE:,} {unit} in one value"
        )


def text_size(value: Any, limit: int = MAX_TEMPLATE_VALUE) -> int:
    """About how many characters ``str(value)`` holds, counted only until past ``limit`` (a list
    holding one long text many times is long to print, though cheap to hold)."""
    total = 0
    stack = [value]
    while stack and total <= limit:
        item = stack.pop()
        if isinstance(item, str):
            total += len(item) + 2
        elif isinstance(item, dict):
            total += 2 + 4 * len(item)
            stack += [*item.keys(), *item.values()]
        elif isinstance(item, list | tuple | set | frozenset):
            total += 2 + 2 * len(item)
            stack += item
        else:
            total += 24  # a number, a flag, None: short once bounded
    return total


def within_text(total: int) -> None:
    """Refused when a text of ``total`` characters would be over budget."""
    _within(total, "a text", "characters")


def within_items(total: int) -> None:
    """Refused when a list or mapping of ``total`` items would be over budget."""
    _within(total, "a list or mapping", "items")


def concatenated(parts: Iterable[Any]) -> str:
    """``a ~ b ~ c``: refused before joining when the result would be over budget."""
    parts = tuple(parts)
    budget = current()
    budget.charge(1)
    if not all(isinstance(part, str) for part in parts):
        within_text(sum(text_size(part) for part in parts))
    within_text(sum(len(part) for part in parts if isinstance(part, str)))
    result = "".join(map(str, parts))
    budget.charge(cost(result))
    return result


def counted_items(iterable: Any) -> Iterator[Any]:
    """A ``for`` loop's items, each one step of the budget."""
    budget = current()
    budget.charge(1)
    for item in iterable:
        budget.steps -= 1
        if budget.steps < 0:
            budget.charge(0)
        yield item


class CountedBuffer(list[str]):
    """A macro's, ``{% set %}`` block's or ``{% filter %}`` block's output as it is written."""

    __slots__ = ("size",)

    def __init__(self) -> None:
        super().__init__()
        self.size = 0

    def append(self, text: str) -> None:
        self._add(len(text))
        super().append(text)

    def extend(self, texts: Iterable[str]) -> None:
        texts = tuple(texts)
        self._add(sum(len(text) for text in texts))
        super().extend(texts)

    def _add(self, size: int) -> None:
        self.size += size
        within_text(self.size)
        current().charge(1 + size // _ASCII_PER_STEP)


def materialised(items: Any) -> list[Any]:
    """``items`` as a list, refused past the budget's size before more is drawn."""
    if isinstance(items, Mapping):
        items = items.keys()
    drawn = list(islice(iter(items), MAX_TEMPLATE_VALUE + 1))
    checked(drawn)
    current().charge(len(drawn))
    return drawn


def guarded(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    """Filter (or test) ``name``: charged, checked in advance where it can amplify, and its
    result checked."""
    skip = 1 if _PassArg.from_obj(function) is not None else 0
    check = _PRECHECKS.get(name)
    weight = _HEAVY.get(name, 1)

    @functools.wraps(function)  # keeps jinja_pass_arg
    def call(*args: Any, **kwargs: Any) -> Any:
        budget = current()
        values = list(args[skip:])
        budget.charge(1 + weight * sum(cost(v) for v in (*values, *kwargs.values())))
        if check is not None and values:
            values = check(values, kwargs)
        result = function(*args[:skip], *values, **kwargs)
        budget.charge(cost(result))
        return checked(result)

    return call


def _replace(values: list[Any], kwargs: dict[str, Any]) -> list[Any]:
    text, old, new = [*values, kwargs.get("old", ""), kwargs.get("new", "")][:3]
    count = values[3] if len(values) > 3 else kwargs.get("count")
    if isinstance(text, str) and isinstance(old, str) and isinstance(new, str):
        times = text.count(old) if count is None or count < 0 else min(count, text.count(old))
        within_text(len(text) + times * max(0, len(new) - len(old)))
    return values


def _join(values: list[Any], kwargs: dict[str, Any]) -> list[Any]:
    items = materialised(values[0])
    separator = values[1] if len(values) > 1 else kwargs.get("d", "")
    within_text(sum(text_size(i) for i in items) + len(str(separator)) * len(items))
    return [items, *values[1:]]


def _printed(values: list[Any], kwargs: dict[str, Any]) -> list[Any]:
    # tojson, pprint, string, xmlattr, urlencode, escape: the text of what is printed
    within_text(sum(text_size(v) for v in (*values, *kwargs.values())) * 2)
    return values


def formatted_size(template: str, arguments: Any) -> None:
    """Refused when ``template % arguments`` (or ``.format``) could be over budget: each field
    may print the whole of the arguments (``%(a)s%(a)s`` repeats one)."""
    fields = template.count("%") + template.count("{")
    within_text(len(template) + fields * text_size(arguments))


def _format(values: list[Any], kwargs: dict[str, Any]) -> list[Any]:
    formatted_size(str(values[0]), (*values[1:], *kwargs.values()))
    return values


def _count_argument(value: Any) -> None:
    if isinstance(value, int) and not isinstance(value, bool) and value > MAX_TEMPLATE_VALUE:
        raise SecurityError(f"a width or count over {MAX_TEMPLATE_VALUE:,}")


def _counts(values: list[Any], kwargs: dict[str, Any]) -> list[Any]:
    # truncate, batch, slice: a length or a count, which their result cannot outgrow
    for value in (*values[1:], *kwargs.values()):
        _count_argument(value)
    return values


def _center(values: list[Any], kwargs: dict[str, Any]) -> list[Any]:
    _count_argument(values[1] if len(values) > 1 else kwargs.get("width", 80))
    return values


def _indent(values: list[Any], kwargs: dict[str, Any]) -> list[Any]:
    text = str(values[0])
    width = values[1] if len(values) > 1 else kwargs.get("width", 4)
    _count_argument(width)
    size = width if isinstance(width, int) else len(str(width))
    within_text(len(text) + (text.count("\n") + 1) * size)
    return values


def _wordwrap(values: list[Any], kwargs: dict[str, Any]) -> list[Any]:
    text = str(values[0])
    width = values[1] if len(values) > 1 else kwargs.get("width", 79)
    _count_argument(width)
    wrap = values[3] if len(values) > 3 else kwargs.get("wrapstring") or "\n"
    breaks = text.count(" ") + text.count("\n") + len(text) // max(1, int(width)) + 1
    within_text(len(text) + breaks * len(str(wrap)))
    return values


def _sum(values: list[Any], kwargs: dict[str, Any]) -> list[Any]:
    items = materialised(values[0])
    if not all(isinstance(i, int | float) for i in items):
        within_text(sum(text_size(i) for i in items))
        current().charge(len(items) * sum(cost(i) for i in items))  # each + copies the total
    return [items, *values[1:]]


_PRECHECKS: dict[str, Callable[[list[Any], dict[str, Any]], list[Any]]] = {
    "replace": _replace,
    "join": _join,
    "sum": _sum,
    "center": _center,
    "indent": _indent,
    "wordwrap": _wordwrap,
    **{name: _counts for name in ("truncate", "batch", "slice")},
    "format": _format,
    **{name: _printed for name in ("tojson", "pprint", "string", "xmlattr",
                                   "urlencode", "escape", "e", "forceescape")},
}  # fmt: skip
# Filters that do much more work per character than copying it (word by word, by regex).
_HEAVY = {
    "urlize": 64,
    "wordwrap": 16,
    "striptags": 16,
    "pprint": 16,
    "title": 4,
    "wordcount": 4,
    "indent": 4,
    "sort": 4,
    "dictsort": 4,
    "groupby": 4,
    "unique": 2,
}
