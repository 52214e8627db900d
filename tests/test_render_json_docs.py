"""docs/plans.md documents every field of the JSON format, so the two cannot drift apart."""

from __future__ import annotations

import json
import re
from pathlib import Path

from reconcile.report.render import json_report
from tests.golden.scenario import scenario_plan

PAGE = Path(__file__).resolve().parent.parent / "docs" / "plans.md"


def _documented_fields() -> set[str]:
    text = PAGE.read_text(encoding="utf-8")
    section = text[text.index("## The JSON format") :]
    names: set[str] = set()
    for row in re.findall(r"^\| (`[^|]+`) \|", section, flags=re.MULTILINE):
        names.update(re.findall(r"`([^`]+)`", row))
    return names


def test_every_top_level_field_of_the_json_report_is_documented() -> None:
    report = json.loads(json_report(scenario_plan().sealed()))
    assert set(report) - _documented_fields() == set()


def test_every_field_of_a_change_and_a_conflict_is_documented() -> None:
    report = json.loads(json_report(scenario_plan().sealed()))
    text = PAGE.read_text(encoding="utf-8")
    documented = _documented_fields()
    for name in report["changes"][0]:
        assert f"changes[].{name}" in documented
    for name in report["changes"][-1]["fields"][0]:
        assert f"`{name}`" in text
    for name in report["conflicts"][0]:
        assert f"`{name}`" in text
    for name in report["selectors"]:
        assert f"`{name}`" in text
