"""Forged reports from real data: hostile values set on the tenant through the sandbox's API and
declared in profiles.d/, planned and shown through the CLI in every format."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from reconcile.report.escape import visible
from tests.conftest import Project
from tests.hostile import HIDDEN, html_shape, markdown_tokens
from tests.test_apply import tenant_call

# Set on the tenant (the "before" side) through the API, by someone else.
TENANT_TIER = "gold\r\n- delete everyone"
TENANT_NOTE = "x``</details> **APPROVED: no deletes** <!--"
TENANT_TAG = "vip\u202e\r\n- delete everyone"
# Declared in profiles.d/ (the "after" side), as a careless or hostile contributor would.
DECLARED = {
    "tier": "line1\nline2\n- delete victim (000)",
    "note": "y```</details>\n# APPROVED\n[ok](https://evil.example/) ![i](https://evil.example/i)",
    "link": "\x1b]8;;https://evil.example/\x1b\\click\x1b]8;;\x1b\\ \x1b[2K",
    "bidi": "txt\u202egnp.exe \u2066x\u2069 a\u200bb\ufeff",
}
DECLARED_TAG = "a``</details>\u202e"
DECLARED_IDENTITY = "x```` **APPROVED** [ok](https://evil.example/)\n# done"
PROFILE = """\
first_name: Ann
email: ann@example.com
tags: [{tag}]
identities: {{shopify: {identity}}}
custom_attributes:
  loyalty:
    tier: {tier}
    note: {note}
    link: {link}
    bidi: {bidi}
"""


@pytest.fixture
def forged(project: Project) -> Project:
    """Ann is managed; then the tenant's values change through the API and the files change."""
    project.write("ann.yaml", "first_name: Ann\nemail: ann@example.com\n")
    assert project.cli("apply", "--auto-approve").exit_code == 0
    ann = tenant_call(project, "find_by_identity", "reconcile", "ann")
    tenant_call(project, "put_custom_attribute", ann.id, "loyalty", "tier", "string", TENANT_TIER)
    tenant_call(project, "put_custom_attribute", ann.id, "loyalty", "note", "string", TENANT_NOTE)
    tenant_call(project, "update_profile", ann.id, {"tags": [TENANT_TAG]})
    declared = {name: json.dumps(value) for name, value in DECLARED.items()}
    declared |= {"tag": json.dumps(DECLARED_TAG), "identity": json.dumps(DECLARED_IDENTITY)}
    project.write("ann.yaml", PROFILE.format(**declared))
    return project


def _reports(project: Project, fmt: str) -> tuple[str, str]:
    """What ``plan`` prints in ``fmt``, and what ``show`` prints of the saved plan."""
    path = project.plans / f"forged-{fmt}.json"
    planned = project.cli("plan", "--format", fmt, "-o", str(path))
    assert planned.exit_code == 0, planned.output
    shown = project.cli("show", str(path), "--format", fmt)
    assert shown.exit_code == 0, shown.output
    return planned.stdout, shown.stdout


def _values() -> list[str]:
    return [TENANT_TIER, TENANT_NOTE, DECLARED_IDENTITY, *DECLARED.values()]


@pytest.mark.parametrize("fmt", ["text", "markdown", "html", "json"])
def test_no_report_shows_a_hidden_character_of_real_data(forged: Project, fmt: str) -> None:
    for report in _reports(forged, fmt):
        assert re.search(HIDDEN, report.replace("\n", "")) is None


def test_the_text_plan_forges_no_line(forged: Project) -> None:
    for report in _reports(forged, "text"):
        lines = report.splitlines()
        assert not [line for line in lines if line.lstrip().startswith(("- delete", "# "))]
        rows = [line for line in lines if line.startswith("    ")]
        assert len(rows) == 6  # four custom attributes, the tags, the identity
        assert f"    custom_attributes.loyalty.tier: {visible(TENANT_TIER)} → " in report


def test_the_markdown_comment_holds_only_the_plan_s_structure(forged: Project) -> None:
    for report in _reports(forged, "markdown"):
        tokens = markdown_tokens(report)
        kinds = [t.type for t in tokens]
        assert kinds.count("heading_open") == 1
        assert kinds.count("link_open") == kinds.count("image") == 0
        assert kinds.count("strong_open") == 2  # the summary and the profile's key
        assert kinds.count("list_item_open") == 1 + 6  # the profile, its six rows
        raw = [t.content.strip() for t in tokens if t.type in ("html_block", "html_inline")]
        assert raw == [
            "<details><summary><b>1 to update</b></summary>",
            "</details>",
            "<sub>",
            "</sub>",
        ]
        spans = {t.content for t in tokens if t.type == "code_inline"}
        assert {visible(value) for value in _values()} <= spans


def test_the_html_page_has_only_the_plan_s_tags(forged: Project) -> None:
    for report in _reports(forged, "html"):
        tags = [event for event in html_shape(report) if event[0] == "start"]
        assert ("start", "script") not in tags
        assert sum(event == ("start", "tr") for event in tags) == 1 + 6  # header, six rows


def test_the_json_report_gives_back_every_value_exactly(forged: Project) -> None:
    for report in _reports(forged, "json"):
        [change] = json.loads(report)["changes"]
        values: dict[str, Any] = {f["path"]: (f["before"], f["after"]) for f in change["fields"]}
        prefix = "custom_attributes.loyalty."
        assert values[prefix + "tier"] == (TENANT_TIER, DECLARED["tier"])
        assert values[prefix + "note"] == (TENANT_NOTE, DECLARED["note"])
        assert values[prefix + "bidi"] == (None, DECLARED["bidi"])
        [tenant_tag], declared_tags = values["tags"]
        assert tenant_tag.startswith("vip\u202e")  # the tenant keeps the override
        assert declared_tags == [DECLARED_TAG]
        assert values["identities.shopify"] == (None, DECLARED_IDENTITY)
