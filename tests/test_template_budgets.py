"""Templates have budgets: every red-team template ends with a clear error (file, line, which
budget and its limit) in under 5 s of CPU and 256 MB, and ordinary templates stay well within."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from reconcile.errors import ProfileError
from reconcile.profiles.template_budget import MAX_TEMPLATE_STEPS, MAX_TEMPLATE_VALUE
from reconcile.profiles.templates import render_profile_template
from tests.template_red_team import RED_TEAM

DOCS = Path(__file__).parent.parent / "docs"
LIMITS = ("budget", "1,000,000", "100,000", "10,000 bits", "not available")


def test_every_red_team_template_ends_with_a_clear_error_in_5_s_and_256_mb() -> None:
    script = Path(__file__).parent / "template_red_team.py"
    run = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=600, check=True
    )
    results = [json.loads(line) for line in run.stdout.splitlines()]

    assert [r["name"] for r in results] == list(RED_TEAM)
    for result in results:
        assert result["error"].startswith("red.yaml.j2:1: template error: "), result
        assert any(limit in result["error"] for limit in LIMITS), result
        assert "Traceback" not in result["error"]
        assert result["cpu"] < 5, result
    assert max(r["peak"] for r in results) < 256 * 2**20


def test_a_budget_error_is_at_the_line_that_spends_it() -> None:
    template = 'profiles: []\n{% set s = "x" * 1000 %}\n{% set t = s ~ s %}\n' + (
        "{% for a in s %}{% for b in s %}{% for c in s %}{% endfor %}{% endfor %}{% endfor %}\n"
    )
    with pytest.raises(ProfileError) as raised:
        render_profile_template(template, {}, "deep.yaml.j2")
    (problem,) = raised.value.problems
    assert (problem.file, problem.line) == ("deep.yaml.j2", 4)
    assert f"budget of {MAX_TEMPLATE_STEPS:,} steps" in problem.message


@pytest.mark.parametrize(
    "template",
    [
        '{% set ns = namespace(s="x") %}{% for i in range(28) %}{% set ns.s = ns.s ~ ns.s %}'
        "{% endfor %}",
        '{% set s = "x" * 1001 %}{{ s | replace("x", s) }}',
        "{% set l = [1] %}{% for i in range(30) %}{% set _ = l.extend(l) %}{% endfor %}",
    ],
)
def test_values_over_the_size_budget_are_refused_before_they_are_built(template: str) -> None:
    with pytest.raises(ProfileError, match="template budget"):
        render_profile_template(template, {}, "big.yaml.j2")


def test_ordinary_templates_keep_working_within_the_budget() -> None:
    template = (
        "{% macro tag(n) %}t{{ n }}{% endmacro %}"
        "profiles:\n{% for i in range(300) %}"
        "  - key: c{{ '%04d' % i }}\n    email: {{ 'c' ~ i }}@example.com\n"
        "    tags: [{{ [tag(i), 'x y'.split() | join('-')] | join(', ') }}]\n"
        "    first_name: {{ 'ann'.title() | center(5) | trim }}\n"
        "{% endfor %}"
    )
    text = render_profile_template(template, {}, "ok.yaml.j2")
    assert text.count("- key: c") == 300 and "tags: [t299, x-y]" in text


def test_the_guide_states_the_budgets() -> None:
    guide = (DOCS / "profiles.md").read_text(encoding="utf-8")
    assert f"{MAX_TEMPLATE_STEPS:,} steps" in guide
    assert f"{MAX_TEMPLATE_VALUE:,} characters" in guide
    assert "256 MB" in guide and "5 s" in guide


def test_counting_what_a_method_joins_keeps_its_result() -> None:
    template = '{{ ", ".join([1, 2, 3] | map("string")) }}|{{ "-".join("abc") }}'
    assert render_profile_template(template, {}, "j.yaml.j2") == "1, 2, 3|a-b-c"
