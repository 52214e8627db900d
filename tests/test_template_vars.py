"""``--vars`` treats every number that is not finite alike: refused at its line in any spelling
(``NaN`` as much as ``1e999``), and text when quoted, as ``--var`` values always are."""

from __future__ import annotations

import json

import pytest

from tests.conftest import Project

TEMPLATE = 'profiles:\n  - key: p1\n    email: p1@example.com\n    company: "{{ x }}"\n'


@pytest.mark.parametrize("written", ["NaN", "Infinity", "-Infinity", "nan", "inf", ".nan", "1e999"])
def test_a_number_that_is_not_finite_is_refused_in_every_spelling(
    project: Project, written: str
) -> None:
    project.write("t.yaml.j2", TEMPLATE)
    variables = project.root / "vars.yaml"
    variables.write_text(f"count: 3\nx: {written}\n")

    result = project.cli("validate", "--vars", str(variables))

    assert result.exit_code == 1
    assert result.stderr.startswith(f"error: {variables}:2: ")
    assert "not a finite number" in result.stderr and "Traceback" not in result.output


def test_json_nan_is_refused_and_quoted_words_are_text(project: Project) -> None:
    project.write("t.yaml.j2", TEMPLATE)
    bare = project.root / "bare.json"
    bare.write_text('{"x": NaN}')
    quoted = project.root / "quoted.json"
    quoted.write_text(json.dumps({"x": "NaN"}))

    assert "NaN is not a finite number" in project.cli("validate", "--vars", str(bare)).stderr
    assert project.cli("validate", "--vars", str(quoted)).exit_code == 0
    assert project.cli("validate", "--var", "x=1e999").exit_code == 0  # --var: always text
