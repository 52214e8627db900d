"""The Jinja environment profile templates render in: jinja2's sandbox, held to a budget.

jinja2's sandbox keeps a template away from Python's internals; this module also makes every
piece of work a template can ask for pass through :mod:`reconcile.profiles.template_budget`:
each ``for`` loop's items and each ``~`` (rewritten when the template is parsed), each ``+``,
``*``, ``**`` and ``%``, each call (macros, methods, functions), each filter and test, each
comparison and each output buffer. Text methods are those that cannot grow a text past what was
checked (``replace``, ``join``, ``center``... are checked in advance; ``translate`` is refused).
Of the records ``fake`` returns, only their own fields can be read.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from typing import Any

from jinja2 import StrictUndefined, nodes
from jinja2.compiler import CodeGenerator, Frame
from jinja2.exceptions import SecurityError
from jinja2.runtime import LoopContext, Macro
from jinja2.sandbox import SandboxedEnvironment
from jinja2.visitor import NodeTransformer

from reconcile.profiles import template_budget as budgets
from reconcile.profiles.fake import TEMPLATE_ATTRIBUTES, FakeData
from reconcile.profiles.template_budget import (
    MAX_TEMPLATE_INT_BITS,
    MAX_TEMPLATE_VALUE,
    checked,
    cost,
    current,
    materialised,
    text_size,
    within_text,
)
from reconcile.profiles.template_lines import LineMarks, unmarked, unmarking

MAX_RANGE = 100_000  # numbers in one range()

# A width in a format spec ("%900000000s", "{:>900000000}") builds a string that large in one
# step, before any size can be checked.
_HUGE_WIDTH = re.compile(r"\d{7,}")
_LOOP_ITEMS, _CONCAT, _SIZED_OPERAND = "_budget_loop_items", "_budget_concat", "_budget_operand"

# Text methods whose result is no longer than the text (or a list of its parts), or a flag.
_TEXT_METHODS = frozenset((
    "capitalize", "casefold", "count", "endswith", "find", "index", "isalnum",
    "isalpha", "isascii", "isdecimal", "isdigit", "isidentifier", "islower", "isnumeric",
    "isprintable", "isspace", "istitle", "isupper", "lower", "lstrip", "partition",
    "removeprefix", "removesuffix", "rfind", "rindex", "rpartition", "rsplit", "rstrip", "split",
    "splitlines", "startswith", "strip", "swapcase", "title", "upper",
))  # fmt: skip
# Text methods that can grow a text: checked before they run (format: by the sandbox's own
# formatter, see wrap_str_format).
_GROWING_TEXT_METHODS = frozenset(
    ("center", "ljust", "rjust", "zfill", "expandtabs", "replace", "join", "format")
)
_GROWING_CONTAINER_METHODS = frozenset(("extend", "update", "union", "__or__"))
# Steps of the operations that cost more than a loop's item (measured in a sandboxed render: a
# call about 3 times, a macro's call or a recursive loop's 10 times more; printing a value 2).
_CALL, _RECURSING_CALL, _PRINT = 3, 10, 2


def refuse_huge_widths(values: Iterable[Any]) -> None:
    """A width or count over the value budget, or a format spec with a 7-digit width."""
    for value in values:
        if isinstance(value, int) and not isinstance(value, bool) and value > MAX_TEMPLATE_VALUE:
            raise SecurityError(f"a width or count over {MAX_TEMPLATE_VALUE:,}")
        if isinstance(value, str) and ("%" in value or "{" in value) and _HUGE_WIDTH.search(value):
            raise SecurityError(f"a format width over {MAX_TEMPLATE_VALUE:,}")
        if isinstance(value, tuple | list):
            refuse_huge_widths(value)


class _Budgeted(NodeTransformer):
    """Rewrites a parsed template so that loops, ``~`` and comparisons go through the budget."""

    def visit_For(self, node: nodes.For) -> nodes.Node:
        self.generic_visit(node)
        node.iter = _filter(node.iter, _LOOP_ITEMS)  # type: ignore[arg-type]
        return node

    def visit_Concat(self, node: nodes.Concat) -> nodes.Node:
        self.generic_visit(node)
        return _filter(nodes.Tuple(node.nodes, "load", lineno=node.lineno), _CONCAT)

    def visit_Operand(self, node: nodes.Operand) -> nodes.Node:
        # `x in big_list`, `a == b`: a comparison costs the size of what it compares.
        self.generic_visit(node)
        node.expr = _filter(node.expr, _SIZED_OPERAND)
        return node


def _filter(node: nodes.Expr, name: str) -> nodes.Filter:
    return nodes.Filter(node, name, [], [], None, None, lineno=node.lineno)


class _BudgetedCode(CodeGenerator):
    """Writes macro, ``{% set %}`` and ``{% filter %}`` output into counted buffers."""

    def buffer(self, frame: Frame) -> None:
        frame.buffer = self.temporary_identifier()
        self.writeline(f"{frame.buffer} = environment.counted_buffer()")


class BoundedSandbox(SandboxedEnvironment):
    """Jinja2's sandbox, with every operation charged to the render's budget."""

    code_generator_class = _BudgetedCode
    intercepted_binops = frozenset(["+", "*", "**", "%", "//", "/"])

    @staticmethod
    def counted_buffer() -> budgets.CountedBuffer:
        return budgets.CountedBuffer()

    def _parse(self, source: str, name: str | None, filename: str | None) -> nodes.Template:
        tree = super()._parse(source, name, filename)
        result: nodes.Template = _Budgeted().visit(tree)
        return result

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        if isinstance(obj, FakeData):
            return attr == "person"
        allowed = TEMPLATE_ATTRIBUTES.get(type(obj))
        if allowed is not None:  # a fake record: its own fields, nothing inherited
            return attr in allowed
        return bool(super().is_safe_attribute(obj, attr, value))

    def getattr(self, obj: Any, attribute: str) -> Any:
        current().charge(1)
        return super().getattr(obj, attribute)

    def getitem(self, obj: Any, argument: Any) -> Any:
        current().charge(1)
        return super().getitem(obj, argument)

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        current().charge(1 + cost(left) + cost(right))
        if operator == "**" and isinstance(left, int) and isinstance(right, int):
            _check_power(left, right)
        if operator == "*":
            _check_product(left, right)
        if operator == "+" and isinstance(left, str | list | tuple):
            within_text(len(left) + (len(right) if isinstance(right, str | list | tuple) else 0))
        if operator == "%" and isinstance(left, str):
            refuse_huge_widths((left, right))
            budgets.formatted_size(left, right)
        return checked(super().call_binop(context, operator, left, right))

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        budget = current()
        budget.charge(_CALL + sum(cost(value) for value in (*args, *kwargs.values())))
        owner = getattr(__obj, "__self__", None)
        if isinstance(owner, str):  # str.center, str.strip, ...: on the text without line marks
            plain = unmarked(owner)
            __obj = getattr(plain, __obj.__name__) if plain is not owner else __obj
            args, kwargs = unmarked(args), {k: unmarked(v) for k, v in kwargs.items()}
            args = _check_text_method(plain, __obj.__name__, args, kwargs)
        elif isinstance(owner, list | dict | set):
            _check_container_method(owner, getattr(__obj, "__name__", ""), args)
        elif isinstance(owner, bytes | bytearray | int) and not isinstance(owner, bool):
            _check_number_method(owner, getattr(__obj, "__name__", ""))
        elif isinstance(owner, FakeData):
            budget.person(repr((args, sorted(kwargs.items()))))
        if isinstance(__obj, Macro | LoopContext):  # a call that can recurse
            if isinstance(__obj, LoopContext) and args:
                args = (budgets.counted_items(args[0]), *args[1:])
            budget.charge(_RECURSING_CALL)
            budget.enter()
            try:
                result = super().call(__context, __obj, *args, **kwargs)
            finally:
                budget.depth -= 1
        else:
            result = super().call(__context, __obj, *args, **kwargs)
        if isinstance(owner, list | dict | set):
            checked(owner)
        budget.charge(cost(result))
        return checked(result)

    def wrap_str_format(self, value: Any) -> Any:
        # str.format is wrapped when it is looked up, so `call` sees only the wrapper.
        wrapped = super().wrap_str_format(value)
        if wrapped is None:
            return None
        template = unmarked(value.__self__)
        refuse_huge_widths((template,))

        def bounded(*args: Any, **kwargs: Any) -> Any:
            budgets.formatted_size(template, (*args, *kwargs.values()))
            return checked(wrapped(*args, **kwargs))

        return bounded


def _check_power(left: int, right: int) -> None:
    if abs(right) > 256 or left.bit_length() * max(right, 0) > MAX_TEMPLATE_INT_BITS:
        raise SecurityError(f"a power over {MAX_TEMPLATE_INT_BITS:,} bits (exponent at most 256)")


def _check_product(left: Any, right: Any) -> None:
    for items, times in ((left, right), (right, left)):
        sized = isinstance(items, str | list | tuple) and isinstance(times, int)
        if sized and len(items) * times > MAX_TEMPLATE_VALUE:
            raise SecurityError(f"repetition longer than {MAX_TEMPLATE_VALUE:,} items")
    both_whole = isinstance(left, int) and isinstance(right, int)
    if both_whole and left.bit_length() + right.bit_length() > MAX_TEMPLATE_INT_BITS:
        raise SecurityError(f"a product over {MAX_TEMPLATE_INT_BITS:,} bits")


def _check_text_method(
    text: str, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> tuple[Any, ...]:
    """``args``, once the text method ``name`` is known to stay within the budget with them (the
    items ``join`` is given are drawn first, to be counted)."""
    if name in _TEXT_METHODS:
        return args
    if name not in _GROWING_TEXT_METHODS:
        raise SecurityError(f"the text method {name}() is not available in templates")
    refuse_huge_widths([a for a in (*args, *kwargs.values()) if isinstance(a, int)])
    if name == "replace" and len(args) >= 2 and all(isinstance(a, str) for a in args[:2]):
        old, new = args[0], args[1]
        count = text.count(old)
        if len(args) > 2 and isinstance(args[2], int) and args[2] >= 0:
            count = min(count, args[2])
        within_text(len(text) + count * max(0, len(new) - len(old)))
    elif name == "expandtabs":
        size = args[0] if args else kwargs.get("tabsize", 8)
        within_text(len(text) + text.count("\t") * (size if isinstance(size, int) else 8))
    elif name == "join" and args:
        items = materialised(args[0])
        within_text(sum(text_size(i) for i in items) + len(text) * len(items))
        return (items, *args[1:])
    return args


def _check_number_method(owner: Any, name: str) -> None:
    # Bytes (from int.to_bytes) would be texts outside every check above: none are made.
    if isinstance(owner, bytes | bytearray) or name == "to_bytes":
        raise SecurityError(f"bytes ({name}) are not available in templates")


def _check_container_method(owner: Any, name: str, args: tuple[Any, ...]) -> None:
    if name in _GROWING_CONTAINER_METHODS and args:
        added = args[0]
        if isinstance(added, budgets.SIZED):
            budgets.within_items(len(owner) + len(added))


def template_environment() -> BoundedSandbox:
    environment = BoundedSandbox(
        loader=None,
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,
        extensions=[LineMarks],
        finalize=_printed,
    )
    for name in ("center", "indent", "wordwrap", "truncate", "format"):
        environment.filters[name] = _bounded_filter(environment.filters[name])
    for name, function in environment.filters.items():
        environment.filters[name] = budgets.guarded(name, unmarking(function))
    for name, function in environment.tests.items():
        environment.tests[name] = budgets.guarded(name, function)  # type: ignore[arg-type]
    environment.filters.pop("random", None)
    environment.globals.pop("lipsum", None)
    # Added last: they see the text with its line marks, which they keep.
    environment.filters[_LOOP_ITEMS] = budgets.counted_items
    environment.filters[_CONCAT] = budgets.concatenated
    environment.filters[_SIZED_OPERAND] = _sized_operand
    return environment


def _bounded_filter(original: Any) -> Any:
    @functools.wraps(original)
    def bounded(*args: Any, **kwargs: Any) -> Any:
        refuse_huge_widths((*args, *kwargs.values()))
        return original(*args, **kwargs)

    return bounded


def _printed(value: Any) -> Any:
    """What ``{{ value }}`` prints: a list holding one long text many times is long to print."""
    if not isinstance(value, str):
        within_text(text_size(value))
    current().charge(_PRINT)
    return value


def _sized_operand(value: Any) -> Any:
    current().charge(1 + cost(value))
    return value


class RangeBudget:
    """``range`` for one render: no range longer than :data:`MAX_RANGE` numbers (loops over it
    are charged item by item, like any loop)."""

    def __call__(self, *args: int) -> range:
        numbers = range(*args)
        if len(numbers) > MAX_RANGE:
            raise SecurityError(f"a range of more than {MAX_RANGE:,} numbers")
        return numbers
