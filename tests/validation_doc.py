"""The tables of ``docs/validation-rules.md``, read for the two tests that hold each side to it.

The sandbox's test (``tests/sandbox/test_validation_doc.py``) sends them over HTTP; the tool's
(``tests/test_validation_doc_tool.py``) gives them to the loader. Both read the page, never each
other's code, so a rule one side gets wrong fails against the page.

>>> rule = documented_rules()[0]
>>> (rule.field, rule.rule)
('*', 'finite')
>>> brace_names("`{a,b}_{c,d}`, `e`")
['a_c', 'a_d', 'b_c', 'b_d', 'e']
"""

from __future__ import annotations

import itertools
import json
import re
from dataclasses import dataclass
from typing import Any

from tests.markdown import DOCS, fenced, table, unquote

PAGE = DOCS / "validation-rules.md"


@dataclass(frozen=True)
class DocumentedRule:
    """One row of the Rules table: the example is a fragment of a ``POST /profiles`` body."""

    field: str
    rule: str
    message: str
    example: dict[str, Any]


def _expand(text: str) -> str:
    """A letter, the multiplication sign and a count in an example: that many letters."""
    return re.sub("(\\w)\u00d7(\\d+)", lambda m: m.group(1) * int(m.group(2)), text)


def documented_rules() -> list[DocumentedRule]:
    """Every row of the Rules table, its example read as JSON (``NaN`` included)."""
    return [
        DocumentedRule(
            unquote(row[0]), unquote(row[2]), row[3], json.loads(_expand(unquote(row[4])))
        )
        for row in table(PAGE, "Field")
    ]


@dataclass(frozen=True)
class DocumentedLimit:
    """One row of the Limits table: what is bounded, its maximum and the refusal's error key."""

    subject: str
    maximum: int
    key: str


def documented_limits() -> list[DocumentedLimit]:
    """Every row of the Limits table, its maximum as a number (``10,485,760`` → 10485760)."""
    return [
        DocumentedLimit(row[0], int(row[1].replace(",", "")), unquote(row[3]))
        for row in table(PAGE, "Limit")
    ]


def taken_profile() -> dict[str, Any]:
    """The profile that exists first, which the ``unique`` examples clash with."""
    [body] = [json.loads(block) for block in fenced(PAGE, "json") if "taken" in block]
    assert isinstance(body, dict)
    return body


def listed_values(rule: DocumentedRule) -> list[str]:
    """The values an ``in:`` rule lists, each of which is accepted."""
    return rule.rule.removeprefix("in:").split(",") if rule.rule.startswith("in:") else []


def brace_names(cell: str) -> list[str]:
    """``{a,b}_{c,d}`` → a_c, a_d, b_c, b_d; plain backticked names as they are."""
    names: list[str] = []
    for spelled in re.findall(r"`([^`]+)`", cell):
        parts = [p.split(",") for p in re.split(r"[{}]", spelled)]
        names += ["".join(combo) for combo in itertools.product(*parts)]
    return names


def _values(cell: str) -> list[Any]:
    values = [json.loads(v) for v in re.findall(r"`([^`]+)`", cell)]
    return values + (["2024-05-01 10:00:00"] if cell.startswith("text") else [])


def comms_rows() -> list[tuple[list[str], list[Any]]]:
    """The Comms preferences table: each row's names and the values each of them takes."""
    return [(brace_names(names), _values(values)) for names, values in table(PAGE, "Names")]


def normalisation_cases() -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """The Cases table: a body sent, and fields of the profile stored from it."""
    return [(json.loads(unquote(a)), json.loads(unquote(b))) for a, b in table(PAGE, "Sent")]
