"""Reports: golden bytes per format on a fixed scenario, masking, and the Markdown size cap."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from reconcile.plan.diff import FieldChange
from reconcile.plan.options import PlanOptions
from reconcile.plan.value import Change, Plan
from reconcile.report.render import FORMATS, MARKDOWN_LIMIT, render
from tests.golden.scenario import PII, scenario_plan

GOLDEN = Path(__file__).parent / "golden"
SUFFIX = {"text": "txt", "markdown": "md", "json": "json", "html": "html"}


def _saved_scenario() -> Plan:
    return scenario_plan().sealed()


@pytest.mark.parametrize("fmt", FORMATS)
def test_report_matches_its_golden_file(fmt: str) -> None:
    """Set UPDATE_GOLDEN=1 to rewrite the golden files after an intended change; review the diff."""
    rendered = render(_saved_scenario(), fmt)  # type: ignore[arg-type]
    golden = GOLDEN / f"scenario.{SUFFIX[fmt]}"
    if os.environ.get("UPDATE_GOLDEN"):
        golden.write_text(rendered, encoding="utf-8")
    assert rendered == golden.read_text(encoding="utf-8")


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("sealed", [False, True], ids=["as-planned", "as-saved"])
def test_no_email_phone_or_name_of_the_scenario_appears_in_a_default_report(
    fmt: str, sealed: bool
) -> None:
    plan = scenario_plan()
    rendered = render(plan.sealed() if sealed else plan, fmt)  # type: ignore[arg-type]
    leaked = [value for value in PII if value in rendered]
    assert leaked == []


def test_show_pii_reveals_the_declared_and_tenant_values() -> None:
    rendered = render(scenario_plan(), "text", show_pii=True)
    assert "first_name: Jane → Janet" in rendered
    assert "email: jane@example.com → jane.doe@example.com" in rendered


def test_a_saved_plan_holds_no_tenant_pii_but_keeps_declared_values() -> None:
    saved = _saved_scenario().dumps()
    for tenant_only in ("Sydney", "jane@example.com", "Sharmah", "tom.old@example.com"):
        assert tenant_only not in saved
    assert "jane.doe@example.com" in saved  # from profiles.d/, which git already holds


def test_masked_values_that_look_alike_are_marked_changed() -> None:
    rendered = render(_saved_scenario(), "text")
    assert "first_name: J*** → J*** (changed)" in rendered
    assert "email: a***@example.com → b***@example.com\n" in rendered


def test_text_is_coloured_only_when_asked() -> None:
    assert "\x1b[" not in render(scenario_plan(), "text")
    coloured = render(scenario_plan(), "text", color=True)
    assert "\x1b[32m+ create alex-nguyen\x1b[0m" in coloured
    assert "\x1b[31m- delete sam-old\x1b[0m" in coloured


def test_the_json_report_is_versioned_and_counts_every_action() -> None:
    report = json.loads(render(_saved_scenario(), "json"))
    assert report["format_version"] == 1
    assert report["pii"] == "masked"
    assert report["summary"] == {
        "create": 1,
        "adopt": 1,
        "restore": 1,
        "rename": 1,
        "update": 3,
        "delete": 1,
        "purge": 1,
        "conflicts": 3,
        "unchanged": 1,
        "withheld": 0,
    }
    actions = {change["action"]: change["key"] for change in report["changes"]}
    assert actions["restore"] == "rosa-gone" and actions["rename"] == "zoe-smith"
    kinds = sorted(conflict["kind"] for conflict in report["conflicts"])
    assert kinds == ["ambiguous", "contested", "taken"]


def test_html_escapes_declared_values() -> None:
    plan = _one_update("custom_attributes.notes.text", "<script>alert(1)</script>")
    html = render(plan, "html")
    assert "<script>alert" not in html
    assert "&lt;script&gt;" in html


def test_markdown_values_cannot_break_out_of_code_spans() -> None:
    plan = _one_update("custom_attributes.notes.text", "a`b\n</details>")
    markdown = render(plan, "markdown")
    assert "`` a`b\\n</details> ``" in markdown


def test_a_5000_profile_plan_fits_one_pull_request_comment() -> None:
    changes = [
        Change(
            action="update" if n % 3 else "create",
            key=f"customer-{n:05d}",
            profile_id=f"00000000-0000-4000-8000-{n:012d}",
            fingerprint="f" * 16,
            fields=(
                FieldChange(field="email", path="email", before=f"c{n}@a.io", after=f"c{n}@b.io"),
                FieldChange(field="tags", path="tags", before=["a"], after=["a", "b"]),
            ),
        )
        for n in range(5000)
    ]
    plan = Plan(
        options=PlanOptions(tenant="https://api.acme.getomneo.com/api/v3", phone_region="AU"),
        inputs_digest="d" * 64,
        changes=tuple(changes),
        managed=5000,
    ).sealed()
    markdown = render(plan, "markdown")
    assert len(markdown) <= MARKDOWN_LIMIT < 65_536
    assert markdown.index("3333 to update") < markdown.index("<details>")  # summary first
    shown = markdown.count("\n- **`customer-")
    assert 100 < shown < 5000
    assert f"**{5000 - shown} more changes in the plan artifact**" in markdown


def _one_update(field: str, value: str) -> Plan:
    change = Change(
        action="update",
        key="jo",
        profile_id="p1",
        fingerprint="f" * 16,
        fields=(FieldChange(field=field, path=field, before=None, after=value),),
    )
    return Plan(
        options=PlanOptions(tenant="t", phone_region=None),
        inputs_digest="d",
        changes=(change,),
    )


def test_a_cut_comment_keeps_deletes_before_creates() -> None:
    creates = [
        Change(
            action="create",
            key=f"new-{n:05d}",
            fields=(FieldChange(field="tags", path="tags", before=None, after=["x" * 40]),),
        )
        for n in range(3000)
    ]
    deletes = [
        Change(action="delete", key=f"old-{n}", profile_id=f"p{n}", fingerprint="f" * 16)
        for n in range(5)
    ]
    plan = Plan(
        options=PlanOptions(tenant="t", phone_region=None),
        inputs_digest="d",
        changes=(*creates, *deletes),
    ).sealed()
    markdown = render(plan, "markdown")
    assert len(markdown) <= MARKDOWN_LIMIT
    assert all(f"**`old-{n}`**" in markdown for n in range(5))
    assert "<b>3000 to create</b> (showing" in markdown
