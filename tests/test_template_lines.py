"""Template lines: each rendered line knows its template line, and the marks that carry it never
change what a template renders."""

from __future__ import annotations

import pytest
from jinja2 import StrictUndefined
from jinja2.sandbox import SandboxedEnvironment

from reconcile.profiles.templates import render_profile_template_lines

# Templates that compute with text (captures, filters, string methods, comparisons, macro output
# passed through filters): they must render exactly as plain Jinja renders them.
COMPUTING = {
    "captured-and-compared": (
        "{% set tier %}gold{% endset %}\n"
        "tier: {{ 'yes' if tier == 'gold' else 'no' }} {{ tier | length }}\n"
    ),
    "filter-block": "{% filter upper %}\nname: jane\n{% endfilter %}\n",
    "macro-trimmed-and-indented": (
        "{% macro item(i) %}\n  - key: k{{ i }}\n    email: k{{ i }}@example.com\n{% endmacro %}\n"
        "profiles:\n{% for i in range(2) %}\n  {{ item(i) | trim }}\n{{ item(i) | indent(2) }}"
        "{% endfor %}\n"
    ),
    "string-methods": (
        "{% macro name() %}  Jane Doe  {% endmacro %}\n"
        "first_name: {{ name().strip().split(' ')[0] }}\nsize: {{ name() | wordcount }}\n"
    ),
    "joined-macro-output": (
        "{% macro tag(t) %}{{ t }}{% endmacro %}\ntags: [{{ [tag('a'), tag('b')] | join(', ') }}]\n"
    ),
    "call-block": (
        "{% macro wrap() %}[{{ caller() | trim }}]{% endmacro %}\n"
        "tags: {% call wrap() %} vip {% endcall %}\n"
    ),
}


@pytest.mark.parametrize("name", sorted(COMPUTING))
def test_marks_never_change_what_a_template_renders(name: str) -> None:
    source = COMPUTING[name]
    plain = SandboxedEnvironment(
        undefined=StrictUndefined, keep_trailing_newline=True, trim_blocks=True, lstrip_blocks=True
    ).from_string(source)
    rendered = render_profile_template_lines(source, {}, "t.yaml.j2")
    assert rendered.text == plain.render()
    assert "\ue000" not in rendered.text and "\ue002" not in rendered.text


def test_every_output_line_knows_its_template_line_through_loops_and_macros() -> None:
    source = (
        "{% macro person(i) %}\n"  # 1
        "  - key: p{{ i }}\n"  # 2
        "    first_name: {{ 'A' if i else 'B' }}\n"  # 3
        "{% endmacro %}\n"  # 4
        "profiles:\n"  # 5
        "{% for i in range(2) %}\n"  # 6
        "{% if i %}\n"  # 7
        "{{ person(i) }}{% endif %}\n"  # 8
        "  - key: q{{ i }}\n"  # 9
        "{% endfor %}\n"  # 10
    )
    rendered = render_profile_template_lines(source, {}, "t.yaml.j2")
    assert rendered.text.splitlines() == [
        "profiles:",
        "  - key: q0",
        "  - key: p1",
        "    first_name: A",
        "  - key: q1",
    ]
    assert rendered.template_lines == (5, 9, 2, 3, 9)
