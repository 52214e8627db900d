"""The CSV import format (``docs/import-format.md``): one profile per row, nested fields as columns.

Columns are the profile's scalar field names, plus ``tags`` (``|``-separated),
``identity:<handle>``, ``comms:<flag>`` (``true``/``false``) and
``custom:<namespace>:<handle>:<type>``. An empty cell leaves the field alone. A file with an
unknown column, without its match column, or with too many rows is refused whole (422); a row's
bad cells fail that row only, and every one of them is reported: a cell that cannot be read
(a flag that is not a boolean, a value not of its column's type) and every cell that breaks a
validation rule.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterator
from typing import Any

from reconcile.sandbox.jsonio import request_json
from reconcile.sandbox.problems import Invalid
from reconcile.sandbox.rules.limits import MAX_BULK_BODY_BYTES, MAX_IMPORT_ROWS
from reconcile.sandbox.rules.validation import validate_profile
from reconcile.sandbox.rules.vocabulary import COMMS_FIELDS, CUSTOM_TYPES
from reconcile.sandbox.storage.batch import Item

SCALAR_COLUMNS = (
    "email", "first_name", "last_name", "title", "mobile_phone", "secondary_phone", "birth_day",
    "birth_month", "birth_year", "gender", "company", "occupation", "currency", "joined_at",
    "avatar_url", "joined_location_id", "preferred_location_id", "profile_type",
)  # fmt: skip
MAX_ROWS = MAX_IMPORT_ROWS
MAX_BYTES = MAX_BULK_BODY_BYTES  # a larger body is refused (413) before it is read
TAG_SEPARATOR = "|"
_BOOLEANS = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}


def column_error(name: str) -> str | None:
    """Why ``name`` is not a valid column, or None."""
    if name in SCALAR_COLUMNS or name == "tags":
        return None
    kind, _, rest = name.partition(":")
    if kind == "identity" and rest:
        return None
    if kind == "comms" and rest in COMMS_FIELDS:
        return None
    parts = rest.split(":")
    if kind == "custom" and len(parts) == 3 and all(parts) and parts[2] in CUSTOM_TYPES:
        return None
    return f"Unknown column `{name}`."


def parse(raw: bytes, criteria: str) -> list[Item]:
    """Profile payloads (with their cell errors) from a CSV file; 422 for a file-level problem."""
    if len(raw) > MAX_BYTES:
        raise Invalid(
            {"file": [f"The file may not be greater than {MAX_BYTES // 1024} kilobytes."]}
        )
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise Invalid({"file": ["The file must be UTF-8 encoded."]}) from None
    reader = csv.reader(io.StringIO(text, newline=""))
    header = [name.strip() for name in next(reader, [])]
    problems = [error for error in map(column_error, header) if error]
    if not header or not any(header):
        problems.append("The file must start with a header row.")
    if len(set(header)) != len(header):
        problems.append("The header names a column twice.")
    needed = "email" if criteria == "email" else f"identity:{criteria}"
    if header and needed not in header:
        problems.append(f"The header must have a `{needed}` column to match by {criteria}.")
    if problems:
        raise Invalid({"file": problems})
    rows = list(_records(reader))
    if len(rows) > MAX_ROWS:
        raise Invalid({"file": [f"The file may not have more than {MAX_ROWS} rows."]})
    return [_row(header, cells, line) for line, cells in rows]


def _records(reader: Any) -> Iterator[tuple[int, list[str]]]:
    """Each non-blank record with the line of the file where it starts (the header's first line
    is 1), so a quoted cell spanning lines or a blank line does not shift the ones after it."""
    start = reader.line_num + 1
    for cells in reader:
        if any(cell.strip() for cell in cells):
            yield start, cells
        start = reader.line_num + 1


def _row(header: list[str], cells: list[str], line: int) -> Item:
    body: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    if len(cells) != len(header):
        errors["row"] = [f"The row has {len(cells)} cells; the header has {len(header)}."]
    for name, cell in zip(header, cells, strict=False):
        value = cell.strip()
        if value == "":
            continue
        kind, _, rest = name.partition(":")
        if name == "tags":
            body["tags"] = [tag for tag in value.split(TAG_SEPARATOR) if tag.strip()]
        elif kind == "identity":
            body.setdefault("identities", []).append({"handle": rest, "identifier": value})
        elif kind == "comms":
            flag = _BOOLEANS.get(value.lower()) if not rest.endswith("_verification") else value
            if flag is None and value.lower() != "null":
                errors[name] = [f"The {name} cell must be true or false."]
                continue
            body.setdefault("attributes", {}).setdefault("comms", {})[rest] = flag
        elif kind == "custom":
            namespace, handle, kind_name = rest.split(":")
            typed, ok = _typed(value, kind_name)
            if not ok:
                errors[name] = [f"The {name} cell is not a valid {kind_name}."]
                continue
            body.setdefault("custom_attributes", []).append(
                {"namespace": namespace, "handle": handle, "type": kind_name, "value": typed}
            )
        else:
            body[name] = value
    if errors:  # failed before it is queued: the other cells' problems are reported with it
        _, broken = validate_profile(body, creating=False)
        errors.update({field: texts for field, texts in broken.by_field.items() if texts})
    return Item(body, errors or None, line)


def _typed(value: str, kind: str) -> tuple[Any, bool]:
    try:
        if kind == "integer":
            return int(value), True
        if kind == "float":  # "nan", "inf" and "1e999" are floats to Python, not to JSON
            number = float(value)
            return (number, True) if math.isfinite(number) else (value, False)
        if kind == "boolean":
            return _BOOLEANS[value.lower()], True
        if kind in ("json", "array"):
            parsed = request_json(value)
            return parsed, isinstance(parsed, list) if kind == "array" else True
    except (ValueError, KeyError, RecursionError, Invalid):
        return value, False
    return value, True
