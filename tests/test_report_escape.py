"""Every report escapes what it shows: the hostile-value catalogue in every place of a plan, in
all four formats, read back by a real CommonMark renderer, an HTML parser and a JSON parser."""

from __future__ import annotations

import json
import re
import sys
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reconcile.report.escape import md_code, md_text, visible
from reconcile.report.render import render
from tests.hostile import (
    CATALOGUE,
    HIDDEN,
    PLAIN,
    html_shape,
    markdown_shape,
    markdown_tokens,
    plan_holding,
)

NAMES = sorted(CATALOGUE)
# What the template itself writes as raw HTML in a comment; nothing else may be raw HTML.
TEMPLATE_HTML = re.compile(
    r"^(<details><summary><b>\d+ to [a-z]+</b>( \(showing \d+\))?</summary>"
    r"|</details>|<sub>|</sub>)\s*$"
)


def test_the_hidden_ranges_hold_every_control_format_and_separator_character() -> None:
    hidden = re.compile(HIDDEN)
    missing = [
        f"U+{code:04X}"
        for code in range(sys.maxunicode + 1)
        if unicodedata.category(chr(code)) in ("Cc", "Cf", "Cs", "Zl", "Zp")
        and not hidden.match(chr(code))
    ]
    assert missing == []


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("gold\r\n- delete everyone", "gold\\r\\n- delete everyone"),
        ("\x1b]8;;https://x/\x1b\\a", "\\x1b]8;;https://x/\\x1b\\\\a"),
        ("tag\u202e", "tag\\u202e"),
        ("a\u200bb\ufeff", "a\\u200bb\\ufeff"),
        ("\x85\x00\t", "\\x85\\x00\\t"),
        ("\U000e0041", "\\U000e0041"),
        ("café ☕ 日本", "café ☕ 日本"),
    ],
)
def test_text_shows_hidden_characters_as_escapes(raw: str, shown: str) -> None:
    assert visible(raw) == shown


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from("`` \n\r*_<>[]()!#-|\\&\u202ea"), max_size=40))
def test_a_code_span_always_holds_exactly_the_visible_value(value: str) -> None:
    """CommonMark reads the span back as one code span holding the value, whatever it holds."""
    [paragraph] = [t for t in markdown_tokens(f"x {md_code(value)} y") if t.type == "inline"]
    children = paragraph.children or []
    spans = [t for t in children if t.type == "code_inline"]
    assert [t.type for t in children] == ["text", "code_inline", "text"]
    assert spans[0].content == (visible(value) or " ")


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from("`` \n\r*_<>[]()!#-|\\&~:a"), max_size=40))
def test_escaped_text_is_read_back_as_the_visible_value_and_nothing_else(value: str) -> None:
    [paragraph] = [t for t in markdown_tokens(f"x {md_text(value)} y") if t.type == "inline"]
    children = paragraph.children or []
    assert {t.type for t in children} <= {"text"}
    assert "".join(t.content for t in children) == f"x {visible(value)} y"


@pytest.mark.parametrize("name", NAMES)
def test_markdown_has_the_structure_of_the_plan_whatever_its_values(name: str) -> None:
    value = CATALOGUE[name]
    hostile = render(plan_holding(value), "markdown")
    plain = render(plan_holding(PLAIN), "markdown")

    assert markdown_shape(hostile) == markdown_shape(plain)
    tokens = markdown_tokens(hostile)
    raw_html = [t.content for t in tokens if t.type in ("html_block", "html_inline")]
    assert all(TEMPLATE_HTML.match(line) for html in raw_html for line in html.splitlines())
    assert not [t for t in tokens if t.type in ("link_open", "image")]
    assert sum(t.type == "heading_open" for t in tokens) == 2  # the title and "Conflicts"
    spans = {t.content for t in tokens if t.type == "code_inline"}
    assert visible(value) in spans  # a key, a handle, an identifier: each shown whole
    assert re.search(HIDDEN, hostile.replace("\n", "")) is None


@pytest.mark.parametrize("name", NAMES)
def test_text_shows_no_hidden_character_and_forges_no_line(name: str) -> None:
    value = CATALOGUE[name]
    hostile = render(plan_holding(value), "text")
    plain = render(plan_holding(PLAIN), "text")

    assert re.search(HIDDEN, hostile.replace("\n", "")) is None
    assert len(hostile.splitlines()) == len(plain.splitlines())
    for forged, line in zip(hostile.splitlines(), plain.splitlines(), strict=True):
        assert forged[:4] == line[:4]  # every line starts as the plan's own line does
    assert f"~ update {visible(value)} ({visible(value)})" in hostile


@pytest.mark.parametrize("name", NAMES)
def test_html_has_the_tags_of_the_plan_and_shows_no_hidden_character(name: str) -> None:
    value = CATALOGUE[name]
    hostile = render(plan_holding(value), "html")

    assert html_shape(hostile) == html_shape(render(plan_holding(PLAIN), "html"))
    assert re.search(HIDDEN, hostile.replace("\n", "")) is None


@pytest.mark.parametrize("name", NAMES)
def test_json_gives_back_the_exact_value_and_shows_no_hidden_character(name: str) -> None:
    value = CATALOGUE[name]
    document = render(plan_holding(value), "json")

    assert re.search(HIDDEN, document.replace("\n", "")) is None
    report = json.loads(document)
    assert report["tenant"] == value
    update = next(c for c in report["changes"] if c["action"] == "update")
    assert update["key"] == value
    assert [f["before"] for f in update["fields"]] == [value, [value], None]
    assert report["withheld"][0]["key"] == value
    assert report["conflicts"][0]["values"] == {f"identities.{value}": value}


def test_a_lone_surrogate_is_shown_as_an_escape_in_every_format() -> None:
    plan = plan_holding("a\ud800b")
    for fmt in ("text", "markdown", "html", "json"):
        rendered = render(plan, fmt)  # type: ignore[arg-type]
        rendered.encode("utf-8")  # no text that cannot be written
        assert "\\ud800" in rendered
