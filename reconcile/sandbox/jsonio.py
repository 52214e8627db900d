"""JSON in and out of the sandbox: no non-finite number gets in, none stored can break a read.

Python's ``json`` reads ``NaN``, ``Infinity``, ``-Infinity`` (and ``1e999``) although JSON has no
such values, and an answer holding one cannot be encoded: one stored ``Infinity`` made every
listing a 500. So a request body holding one is a 422 naming each field (:func:`request_json`),
and what is read back from the database goes through :func:`stored_json`, which turns any
non-finite number (written by an older sandbox) into ``null``. Answers are encoded by
:func:`encode`, which writes a non-finite number that got this far as ``null`` too.

msgspec (this module is the sandbox's seam for it) reads and writes the JSON of big listings:
decoding a stored document and encoding a page cost a fraction of the standard library's. What
msgspec refuses (``NaN``, ``1e999``, a lone surrogate, too deep a nesting) is read by the standard
library's rules below, so the values read are the same either way.

>>> stored_json('{"value": NaN, "tags": ["a"]}')
{'value': None, 'tags': ['a']}
>>> non_finite_paths({"custom_attributes": [{"value": NON_FINITE}]})
['custom_attributes.0.value']
"""

from __future__ import annotations

import json
import math
from typing import Any

import msgspec

from reconcile.sandbox.problems import Invalid
from reconcile.sandbox.rules.messages import message


class _NonFinite:
    """Stands for a ``NaN`` or infinite number while a request body is checked."""

    def __repr__(self) -> str:
        return "NON_FINITE"


NON_FINITE = _NonFinite()


def request_json(raw: bytes | str) -> Any:
    """The parsed body; ``ValueError`` when it is not JSON; 422 when it holds a non-finite number.

    A non-finite number is refused whatever field holds it (even one the route ignores): such a
    body is not JSON, and refusing it whole keeps the rule simple to state. A bare one (no
    object or array around it) has no field to name: ``ValueError`` (a 400), as for any
    malformed body.
    """
    found: list[str] = []

    def constant(token: str) -> _NonFinite:
        found.append(token)
        return NON_FINITE

    def number(text: str) -> float | _NonFinite:
        value = float(text)
        if math.isfinite(value):
            return value
        found.append(text)
        return NON_FINITE

    body = json.loads(raw, parse_constant=constant, parse_float=number)
    if found:
        if not isinstance(body, dict | list):
            raise ValueError(f"{found[0]} is not a JSON value")
        refuse_non_finite(body)
    return body


def refuse_non_finite(body: Any, prefix: str = "") -> None:
    """422 naming every field of ``body`` that holds a non-finite number (if any does)."""
    paths = non_finite_paths(body, prefix)
    if paths:
        raise Invalid({path: [message("*", "finite", key=path)] for path in paths})


def non_finite_paths(value: Any, prefix: str = "") -> list[str]:
    """Dotted paths (Laravel's error keys) of the non-finite numbers in ``value``, in order.

    Iterative, so a deeply nested body costs no recursion; linear in the size of ``value``.
    """
    paths: list[str] = []
    stack: list[tuple[str, Any]] = [(prefix, value)]
    while stack:
        path, item = stack.pop()
        if item is NON_FINITE or (isinstance(item, float) and not math.isfinite(item)):
            paths.append(path or "body")
        elif isinstance(item, dict):
            stack.extend((_join(path, str(key)), child) for key, child in reversed(item.items()))
        elif isinstance(item, list):
            stack.extend(
                (_join(path, str(index)), child) for index, child in reversed(list(enumerate(item)))
            )
    return paths


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def stored_json(text: str | bytes | None, default: Any = None) -> Any:
    """A stored JSON value, with any non-finite number read as ``None``; ``default`` if unreadable.

    Used for every JSON column the sandbox reads, so no stored value can make an answer fail.
    """
    if text is None:
        return default
    try:
        return _FAST_DECODE(text)
    except (msgspec.DecodeError, RecursionError):
        pass  # NaN, an out-of-range number, ...: read (or refused) by the standard library's rules
    try:
        return json.loads(text, parse_constant=_none, parse_float=_finite_or_none)
    except (ValueError, RecursionError):
        return default


def stored_object(text: str | bytes | None) -> dict[str, Any]:
    """A stored JSON object (a profile's document); ``{}`` when it is not one."""
    found = stored_json(text, {})
    return found if isinstance(found, dict) else {}


def encode(value: Any) -> bytes:
    """UTF-8 JSON of an answer; a non-finite number is written ``null``, never ``NaN``.

    >>> encode({"a": [1.5, float("nan")], "b": "é"}).decode()
    '{"a":[1.5,null],"b":"é"}'
    """
    try:
        return _FAST_ENCODE(value)
    except (msgspec.EncodeError, TypeError, ValueError, OverflowError, RecursionError):
        # A lone surrogate (UTF-8 cannot carry it) and the like: the standard library escapes it.
        text = json.dumps(_finite(value), allow_nan=False, separators=(",", ":"), default=_raw)
        return text.encode()


def fragment(value: Any) -> Any:
    """``value`` encoded now, for a later :func:`encode` to embed as is.

    A page encoded profile by profile holds one profile's objects at a time: holding 500
    profiles' objects until the end made the garbage collector scan them again and again (a
    third of a listing's CPU). Same rule: a non-finite number is written ``null``.

    >>> encode({"data": [fragment({"a": float("inf")})]})
    b'{"data":[{"a":null}]}'
    """
    return msgspec.Raw(encode(value))


def dumps(value: Any) -> str:
    """JSON text for the database; a non-finite number that got this far is stored as null."""
    try:
        return json.dumps(value, allow_nan=False)
    except ValueError:
        return json.dumps(_finite(value), allow_nan=False)


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_finite(item) for item in value]
    return value


# msgspec reads strict JSON only (a non-finite number is a DecodeError) and writes a non-finite
# float as null.
_FAST_DECODE = msgspec.json.Decoder().decode
_FAST_ENCODE = msgspec.json.Encoder().encode


def _raw(value: Any) -> Any:
    """A :func:`fragment` read back, for the standard library's encoder."""
    if isinstance(value, msgspec.Raw):
        return json.loads(bytes(value))
    raise TypeError(f"{type(value).__name__} is not JSON")


def _none(token: str) -> None:
    return None


def _finite_or_none(text: str) -> float | None:
    value = float(text)
    return value if math.isfinite(value) else None
