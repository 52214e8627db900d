"""The in-process sandbox takes the faults `reconcile sandbox serve` takes, from reconcile.toml."""

from __future__ import annotations

from tests.conftest import Project

FAULTS = """
[sandbox]
error_rate = 0.2     # answered 503 before processing
drop_rate = 0.1      # processed, then the connection is dropped without an answer
seed = 7
"""


def test_apply_converges_through_faults_of_the_embedded_sandbox(example_project: Project) -> None:
    (example_project.root / "reconcile.toml").write_text(FAULTS)
    applied = example_project.cli("apply", "--auto-approve")
    assert applied.exit_code == 0, applied.output
    assert "0 failed" in applied.stderr
    assert "retried" in applied.stderr  # the faults really happened, and were retried

    (example_project.root / "reconcile.toml").write_text("")
    again = example_project.cli("plan", "--detailed-exitcode")
    assert again.exit_code == 0, again.output
    assert "No changes" in again.stdout


def test_unknown_fault_settings_are_refused(project: Project) -> None:
    (project.root / "reconcile.toml").write_text("[sandbox]\nerror_rat = 0.5\n")
    result = project.cli("validate")
    assert result.exit_code == 1
    assert "sandbox.error_rat: Extra inputs are not permitted" in result.stderr
