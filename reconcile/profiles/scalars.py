"""Plain YAML values that YAML 1.1 and YAML 1.2 read differently are refused, never guessed.

PyYAML reads YAML 1.1, where ``010`` is 8 (octal), ``12:30`` is 750 (base 60) and ``NO`` is
false; YAML 1.2 and JSON read 10, the text ``12:30`` and the text ``NO``. Editors, linters and
other tools disagree in the same way, so a value whose two readings differ is refused with how to
write it, and a value both read the same way is kept. Non-finite numbers (``.inf``, ``.nan``) are
refused too: JSON, and so Omneo, cannot hold them.

>>> print(ambiguity("12:30", 750))
12:30 is 750 (base 60) to YAML 1.1 but text to YAML 1.2: quote it ("12:30") for text
>>> ambiguity("0x1F", 31) is None
True
"""

from __future__ import annotations

import math
import re
from typing import Any

# YAML 1.2 core schema (https://yaml.org/spec/1.2.2/#1032-tag-resolution)
_INT = re.compile(r"[-+]?[0-9]+")
_OCTAL = re.compile(r"0o[0-7]+")
_HEX = re.compile(r"0x[0-9a-fA-F]+")
_FLOAT = re.compile(r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?")
_INF = re.compile(r"[-+]?\.(?:inf|Inf|INF)")
_NAN = re.compile(r"\.(?:nan|NaN|NAN)")
_BOOL = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_NULL = frozenset(("", "~", "null", "Null", "NULL"))
# The first characters of a YAML 1.2 number: text starting otherwise cannot be read as one.
NUMBER_START = frozenset("0123456789+-.")
# Plain values both versions read alike (so they need no asking): short decimals without a
# leading zero, short numbers with a decimal point (finite), and the true/false YAML 1.2 keeps.
PLAIN_DECIMAL = re.compile(r"0|[1-9][0-9]{0,17}")
PLAIN_FLOAT = re.compile(r"-?(?:0|[1-9][0-9]{0,14})\.[0-9]{1,15}")
AGREED_BOOLS = dict(_BOOL)


class _Text:
    """YAML 1.2 reads the value as text."""


TEXT = _Text()


def yaml12(text: str) -> Any:
    """How YAML 1.2 (core schema) reads a plain scalar; :data:`TEXT` when it is text.

    >>> yaml12("010"), yaml12("0o17"), yaml12("NO") is TEXT, yaml12("1e3")
    (10, 15, True, 1000.0)
    """
    if text in _NULL:
        return None
    if text in _BOOL:
        return _BOOL[text]
    if _INT.fullmatch(text):
        return int(text, 10)
    if _OCTAL.fullmatch(text):
        return int(text[2:], 8)
    if _HEX.fullmatch(text):
        return int(text[2:], 16)
    if _FLOAT.fullmatch(text):
        return float(text)
    if _INF.fullmatch(text):
        return -math.inf if text.startswith("-") else math.inf
    if _NAN.fullmatch(text):
        return math.nan
    return TEXT


def ambiguity(text: str, value: Any, *, personal: bool = False) -> str | None:
    """Why the plain scalar ``text``, which PyYAML (YAML 1.1) read as ``value``, is refused;
    ``personal``: in a field holding personal data, said without showing the value.

    ``None`` when YAML 1.1 and YAML 1.2 agree and the value is finite.

    >>> print(ambiguity("0412345678", "0412345678"))
    0412345678 is text to YAML 1.1 but 412345678 to YAML 1.2: quote it ("0412345678") for text
    >>> print(ambiguity("0412345678", "0412345678", personal=True))
    this value is text to YAML 1.1 but a number to YAML 1.2 (which drops the leading zero): quote it
    """
    other = yaml12(text)
    if _non_finite(value) or _non_finite(other):
        if personal:
            return "this value is not a finite number to YAML, and Omneo cannot hold it: quote it"
        return (
            f"{text} is not a finite number, and JSON (so Omneo) cannot hold it: "
            f'write a number, or quote it ("{text}") for text'
        )
    read_11 = TEXT if isinstance(value, str) else value
    if type(read_11) is type(other) and read_11 == other:
        return None
    if personal:
        return _unshown(text, read_11, other)
    return (
        f"{text} is {_reading(read_11, text)} to YAML 1.1 but {_reading(other, '')} to YAML 1.2: "
        f"{_advice(text, read_11, other)}"
    )


def _unshown(text: str, read_11: Any, other: Any) -> str:
    """Why a plain value is refused, and how to write it, without showing it."""
    zero = bool(_INT.fullmatch(text)) and text.lstrip("+-").startswith("0") and len(text) > 1
    if zero and read_11 is not TEXT:
        return (
            "this number has a leading zero, so YAML 1.1 reads it as octal and YAML 1.2 as "
            "decimal: write it without the leading zero, or quote it for text"
        )
    if zero:
        return (
            "this value is text to YAML 1.1 but a number to YAML 1.2 (which drops the leading "
            "zero): quote it"
        )
    if isinstance(read_11, bool):
        return (
            "this value is a flag to YAML 1.1 but text to YAML 1.2: write true or false for a "
            "flag, or quote it for text"
        )
    first, second = ("text", "a number") if read_11 is TEXT else ("a number", "text")
    return f"this value is {first} to YAML 1.1 but {second} to YAML 1.2: quote it"


# Words JSON's extensions and Python read as numbers that are not finite (YAML's own spellings,
# .inf and .nan, are refused by ambiguity()).
_NON_FINITE_WORDS = frozenset(("NaN", "Infinity", "-Infinity", "+Infinity", "inf", "-inf", "nan"))


def non_finite_word(text: str) -> bool:
    """Whether a plain value is a word that JSON's extensions or Python read as a non-finite
    number (``NaN``, ``Infinity``): text to YAML, but not what a JSON or Python user meant.

    >>> non_finite_word("NaN"), non_finite_word("Nan")
    (True, False)
    """
    return text in _NON_FINITE_WORDS


def _non_finite(value: Any) -> bool:
    return isinstance(value, float) and not math.isfinite(value)


def _reading(value: Any, text: str) -> str:
    if value is TEXT:
        return "text"
    if isinstance(value, bool):
        return "true (a flag)" if value else "false (a flag)"
    if isinstance(value, int) and re.fullmatch(r"[-+]?0[0-7_]+", text):
        return f"{value} (octal)"
    if ":" in text:
        return f"{value} (base 60)"
    return repr(value)


def _advice(text: str, read_11: Any, other: Any) -> str:
    quote = f'quote it ("{text}") for text'
    number = other if other is not TEXT else read_11
    if read_11 is TEXT and _INT.fullmatch(text):  # 0412345678: a code or a phone, zero and all
        return quote
    if isinstance(number, bool):
        return f"write {str(number).lower()} for a flag, or {quote}"
    if isinstance(number, int | float) and other is not TEXT:
        return f"write {number!r} for the number, or {quote}"
    return quote
