"""Reading a saved plan file as the untrusted input it is: bounded, strict JSON, canonical bytes.

A plan file is read only if it is a regular file of at most :data:`MAX_PLAN_BYTES` (a pipe, a
device such as ``/dev/zero`` or a larger file is refused before anything is read), is UTF-8, nests
at most :data:`MAX_DEPTH` levels, repeats no key within an object, and holds only finite numbers
of at most :data:`MAX_NUMBER_CHARS` digits. Its canonical bytes (keys sorted, no spaces, the
checksum and signature left out) are what the checksum covers, so every byte of meaning in the
file is covered, and two files that read alike have the same canonical bytes. A file that breaks
any of this is refused with a one-line :class:`~reconcile.errors.PlanError` starting ``not a plan
file:`` (a missing file, a folder and an unreadable one have their own one-line messages).

>>> canonical({"b": 1, "a": "é", "checksum": "x"})
b'{"a":"\\xc3\\xa9","b":1}'
"""

from __future__ import annotations

import json
import math
import os
import re
import stat
import sys
from itertools import accumulate
from pathlib import Path
from typing import Any

from reconcile.errors import PlanError

# Far above a plan of 100,000 changes (docs/plans.md, "What a plan file is trusted with").
MAX_PLAN_BYTES = 256 * 1024 * 1024
# A plan nests 6 levels around a value; a declared value nests at most 32 levels (the YAML
# reader's limit), and pydantic writes no value deeper than 250, so no saved plan is deeper.
MAX_DEPTH = 256
# Python writes no integer longer than this (its int-to-text limit), so no saved plan holds one;
# reading one costs microseconds, and json.loads itself would fail past it.
MAX_NUMBER_CHARS = sys.int_info.default_max_str_digits
UNSIGNED = ("checksum", "signature")  # what the checksum does not cover
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.S)
_BRACKETS = re.compile(r"[\[\]{}]")


def refusal(path: Path, reason: str) -> PlanError:
    """The one-line error for a file that is not a plan (as ``plan`` or ``teardown -o`` save)."""
    return PlanError(f"not a plan file: {path}: {reason}; give a plan that reconcile plan saved")


def read_plan_json(path: Path) -> dict[str, Any]:
    """The JSON object in the plan file at ``path``, read within the limits above."""
    data = _read_bytes(path)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise refusal(path, f"not UTF-8 text (byte {exc.start:,})") from None
    if _too_deep(text):
        raise refusal(path, f"nested deeper than {MAX_DEPTH} levels")
    try:
        value = json.loads(
            text,
            object_pairs_hook=_unique_keys,
            parse_int=_bounded_int,
            parse_float=_bounded_float,
            parse_constant=_no_constant,
        )
    except json.JSONDecodeError as exc:
        raise refusal(path, f"not JSON ({exc.msg}: line {exc.lineno} column {exc.colno})") from None
    except ValueError as exc:  # from the hooks below, which json.loads lets through
        raise refusal(path, str(exc)) from None
    if not isinstance(value, dict):
        raise refusal(path, f"a JSON {type(value).__name__}, not an object")
    return value


def canonical(body: dict[str, Any]) -> bytes:
    """The canonical bytes of a plan's content (what its checksum is the SHA-256 of).

    Raises ``UnicodeEncodeError`` for text that is not Unicode (a lone surrogate escape)."""
    content = {name: value for name, value in body.items() if name not in UNSIGNED}
    text = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return text.encode("utf-8")


def first_difference(found: Any, expected: Any, where: str = "") -> str | None:
    """The path of the first place where ``found`` differs from ``expected`` (None: equal)."""
    if type(found) is not type(expected):
        return where or "the plan"
    if isinstance(found, dict):
        for name in sorted(found.keys() | expected.keys()):
            here = f"{where}.{name}" if where else name
            if name not in found or name not in expected:
                return here
            if (deeper := first_difference(found[name], expected[name], here)) is not None:
                return deeper
        return None
    if isinstance(found, list):
        if len(found) != len(expected):
            return where
        for index, (left, right) in enumerate(zip(found, expected, strict=True)):
            if (deeper := first_difference(left, right, f"{where}[{index}]")) is not None:
                return deeper
        return None
    return None if found == expected else where


def shown(text: object, limit: int = 60) -> str:
    """A name from the file, quoted and cut short, with hidden characters escaped."""
    value = str(text)
    return repr(value if len(value) <= limit else value[: limit - 1] + "…")


def _read_bytes(path: Path) -> bytes:
    """The file's bytes; never waits on a pipe, never reads past the limit."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    try:
        descriptor = os.open(path, flags)
    except FileNotFoundError:
        raise PlanError(f"{path}: no such plan file") from None
    except IsADirectoryError:
        raise _folder(path) from None
    except OSError as exc:
        raise PlanError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    try:
        status = os.fstat(descriptor)
        if stat.S_ISDIR(status.st_mode):
            raise _folder(path)
        if not stat.S_ISREG(status.st_mode):
            raise refusal(path, "not a regular file (a pipe, a device or a socket)")
        if status.st_size > MAX_PLAN_BYTES:
            raise refusal(path, f"{status.st_size:,} bytes, over the limit of {_limit()}")
        with os.fdopen(os.dup(descriptor), "rb") as stream:
            data = stream.read(MAX_PLAN_BYTES + 1)
    except OSError as exc:
        raise PlanError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    finally:
        os.close(descriptor)
    if len(data) > MAX_PLAN_BYTES:  # it grew, or it is a file whose size the system does not know
        raise refusal(path, f"over the limit of {_limit()}")
    return data


def _folder(path: Path) -> PlanError:
    return PlanError(f"{path} is a folder: give a plan file, e.g. {path / 'NAME.json'}")


def _limit() -> str:
    return f"{MAX_PLAN_BYTES // (1024 * 1024)} MiB"


def _too_deep(text: str) -> bool:
    """Whether arrays and objects nest past the limit (strings, which may hold brackets, left
    out): json.loads would recurse once per level."""
    brackets = _BRACKETS.findall(_STRING.sub("", text))
    depths = accumulate(1 if bracket in "[{" else -1 for bracket in brackets)
    return any(depth > MAX_DEPTH for depth in depths)


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for name, value in pairs:
        if name in found:
            raise ValueError(f"the key {shown(name)} appears twice in one object")
        found[name] = value
    return found


def _bounded_int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_NUMBER_CHARS:
        raise ValueError(f"a number of {len(text):,} characters (at most {MAX_NUMBER_CHARS:,})")
    return int(text)


def _bounded_float(text: str) -> float:
    if len(text) > MAX_NUMBER_CHARS:
        raise ValueError(f"a number of {len(text):,} characters (at most {MAX_NUMBER_CHARS:,})")
    number = float(text)
    if not math.isfinite(number):
        raise ValueError(f"the number {text} is too large for a plan (not finite)")
    return number


def _no_constant(text: str) -> Any:
    raise ValueError(f"{text} is not a number JSON allows")
