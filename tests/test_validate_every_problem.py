"""``validate`` reports every problem of a file in one run, keyed by profile key: a value that
YAML 1.1 and 1.2 read differently (or a field written twice) no longer hides the others."""

from __future__ import annotations

from tests.conftest import Project

TEAM = """
profiles:
  - key: p1
    email: p1@example.com
    mobile_phone: 0412345678
    custom_attributes:
      shop: {code: 0412345678, opens: 12:30}
  - key: p2
    email: p2@example.com
    mobile_phone: "+61412345679"
    previous_keys: [old, old]
  - key: p3
    email: p3@example.com
    mobile_phone: "+61412345678"
    email: p3@example.com
"""


def test_every_problem_of_a_file_is_reported_in_one_run_keyed_by_profile(
    project: Project,
) -> None:
    project.write("team.yaml", TEAM)

    result = project.cli("validate")

    assert result.exit_code == 1
    lines = [line.removeprefix("error: ") for line in result.stderr.splitlines()]
    assert lines == [
        "profiles.d/team.yaml:4: p1: mobile_phone: this value is text to YAML 1.1 but a number "
        "to YAML 1.2 (which drops the leading zero): quote it",
        "profiles.d/team.yaml:6: p1: custom_attributes.shop.code: 0412345678 is text to YAML 1.1 "
        'but 412345678 to YAML 1.2: quote it ("0412345678") for text',
        "profiles.d/team.yaml:6: p1: custom_attributes.shop.opens: 12:30 is 750 (base 60) to "
        'YAML 1.1 but text to YAML 1.2: quote it ("12:30") for text',
        "profiles.d/team.yaml:10: p2: previous_keys: lists a key twice",
        "profiles.d/team.yaml:13: p3: mobile_phone: also claimed by 'p1' at "
        "profiles.d/team.yaml:4; Omneo allows one profile per mobile number",
        "profiles.d/team.yaml:14: p3: email: 'email' appears twice (first at line 12)",
        "6 problems found",
    ]
    assert "write 412345678" not in result.stderr and "profiles.0" not in result.stderr


def test_a_folder_default_yaml_reads_two_ways_is_reported_and_not_merged(project: Project) -> None:
    project.write("staff/_defaults.yaml", "company: Example\nbirth_month: 08\n")
    project.write("staff/ann.yaml", "email: ann@example.com\nbirth_day: 40\n")

    result = project.cli("validate")

    lines = [line.removeprefix("error: ") for line in result.stderr.splitlines()]
    assert lines == [
        "profiles.d/staff/_defaults.yaml:2: birth_month: this value is text to YAML 1.1 but a "
        "number to YAML 1.2 (which drops the leading zero): quote it",
        "profiles.d/staff/ann.yaml:2: ann: birth_day: must be a day of the month, 1 to 31",
        "2 problems found",
    ]
