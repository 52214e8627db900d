"""End to end through the CLI against the embedded sandbox: plan → apply → an empty plan."""

from __future__ import annotations

import json

from tests.conftest import Project


def test_example_profiles_are_created_then_the_second_plan_is_empty(
    example_project: Project,
) -> None:
    first = example_project.cli("plan")
    assert first.exit_code == 0, first.output
    assert "13 to create" in first.stdout  # 10 profiles + 3 from the template (count=3)
    assert "+ create alex-nguyen" in first.stdout

    applied = example_project.cli("apply", "--auto-approve")
    assert applied.exit_code == 0, applied.output
    assert "13 applied, 0 failed" in applied.stderr

    second = example_project.cli("plan", "--detailed-exitcode")
    assert second.exit_code == 0, second.output
    assert "No changes" in second.stdout
    assert "0 to create, 0 to adopt, 0 to update" in second.stdout


def test_create_update_and_delete_through_saved_plans(project: Project) -> None:
    project.write("jane.yaml", "first_name: Jane\nemail: jane@example.com\ntags: [vip]\n")
    project.write("sam.yaml", "first_name: Sam\nemail: sam@example.com\n")
    assert project.cli("apply", "--auto-approve").exit_code == 0

    project.write("jane.yaml", "first_name: Janet\nemail: jane@example.com\ntags: [vip, staff]\n")
    project.remove("sam.yaml")
    planned = project.cli("plan", "--allow-delete", "-o", str(project.plans / "change.json"))
    assert planned.exit_code == 0, planned.output
    assert "1 to update" in planned.stdout and "1 to delete" in planned.stdout
    assert "first_name: J*** → J***" in planned.stdout  # names are masked by default

    refused = project.cli("apply", str(project.plans / "change.json"))
    assert refused.exit_code == 1
    assert "--allow-delete" in refused.stderr

    applied = project.cli("apply", str(project.plans / "change.json"), "--allow-delete")
    assert applied.exit_code == 0, applied.output
    assert "2 applied, 0 failed" in applied.stderr

    final = project.cli("plan", "--allow-delete", "--detailed-exitcode")
    assert final.exit_code == 0, final.output
    assert "No changes" in final.stdout


def test_a_saved_plan_is_refused_once_profiles_d_changed(project: Project) -> None:
    project.write("jane.yaml", "first_name: Jane\nemail: jane@example.com\n")
    plan_file = project.plans / "p.json"
    assert project.cli("plan", "-o", str(plan_file)).exit_code == 0
    project.write("jane.yaml", "first_name: Jane\nemail: jane.doe@example.com\n")

    refused = project.cli("apply", str(plan_file))
    assert refused.exit_code == 1
    assert "profiles.d/ changed since the plan was made" in refused.stderr


def test_a_saved_plan_is_refused_once_the_tenant_changed(project: Project) -> None:
    project.write("jane.yaml", "first_name: Jane\nemail: jane@example.com\n")
    assert project.cli("apply", "--auto-approve").exit_code == 0
    project.write("jane.yaml", "first_name: Janet\nemail: jane@example.com\n")
    plan_file = project.plans / "p.json"
    assert project.cli("plan", "-o", str(plan_file)).exit_code == 0
    # Someone else edits the profile on the tenant after the plan was reviewed.
    project.write("jane.yaml", "first_name: Jay\nemail: jane@example.com\n")
    assert project.cli("apply", "--auto-approve").exit_code == 0
    project.write("jane.yaml", "first_name: Janet\nemail: jane@example.com\n")

    refused = project.cli("apply", str(plan_file))
    assert refused.exit_code == 1
    assert "the tenant changed since the plan was made (jane)" in refused.stderr


def test_saved_plan_holds_no_tenant_pii_and_detects_tampering(project: Project) -> None:
    project.write("jane.yaml", "first_name: Jane\nemail: jane@example.com\n")
    assert project.cli("apply", "--auto-approve").exit_code == 0
    project.write("jane.yaml", "first_name: Janet\nemail: jane@example.com\n")
    plan_file = project.plans / "p.json"
    assert project.cli("plan", "-o", str(plan_file)).exit_code == 0
    text = plan_file.read_text()
    assert '"Jane"' not in text  # the tenant's old value is masked in the saved plan

    data = json.loads(text)
    data["changes"][0]["fields"][0]["after"] = "Mallory"
    plan_file.write_text(json.dumps(data))
    refused = project.cli("apply", str(plan_file))
    assert refused.exit_code == 1
    assert "checksum mismatch" in refused.stderr


def test_apply_without_a_terminal_refuses_rather_than_hangs(project: Project) -> None:
    project.write("jane.yaml", "email: jane@example.com\n")
    result = project.cli("apply")
    assert result.exit_code == 1
    assert "--auto-approve" in result.stderr


def test_validate_reports_every_problem_with_file_and_line(project: Project) -> None:
    project.write("a.yaml", "email: not-an-email\nbirth_day: 40\n")
    project.write("b.yaml", "emial: typo@example.com\n")
    result = project.cli("validate")
    assert result.exit_code == 1
    assert "profiles.d/a.yaml:1: a: email:" in result.stderr
    assert "profiles.d/a.yaml:2: a: birth_day:" in result.stderr
    assert "profiles.d/b.yaml:1: b: emial: unknown field" in result.stderr
    assert "3 problems found" in result.stderr
