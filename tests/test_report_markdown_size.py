"""The Markdown report always ends, and under GitHub's comment limit, whatever the plan holds."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from reconcile.plan.diff import FieldChange
from reconcile.plan.options import PlanOptions, Selectors
from reconcile.plan.value import Change, Conflict, Plan, Withheld
from reconcile.report.render import MARKDOWN_LIMIT, render
from tests.conftest import Project

GITHUB_LIMIT = 65_536


def _withheld_plan(count: int, key_length: int) -> Plan:
    keys = [f"customer-{n:05d}-".ljust(key_length, "x") for n in range(count)]
    return Plan(
        options=PlanOptions(tenant="http://t/api/v3"),
        inputs_digest="d" * 64,
        withheld=tuple(Withheld(action="delete", key=key, reason="undeclared") for key in keys),
        managed=count,
    ).sealed()


@pytest.mark.timeout(30)
@pytest.mark.parametrize(
    ("count", "key_length"), [(5_004, 14), (800, 250)], ids=["5004-short", "800-long"]
)
def test_show_renders_a_plan_of_many_withheld_deletes_within_the_limit(
    project: Project, count: int, key_length: int
) -> None:
    path = project.plans / "withheld.json"
    _withheld_plan(count, key_length).save(path)

    started = time.perf_counter()
    shown = project.cli("show", str(path), "--format", "markdown")
    elapsed = time.perf_counter() - started

    assert shown.exit_code == 0, shown.output
    assert len(shown.stdout) <= MARKDOWN_LIMIT < GITHUB_LIMIT
    assert elapsed < 10
    listed = shown.stdout.count("`customer-")
    assert 10 < listed < count
    assert f"Not planned: {count} to delete (" in shown.stdout
    assert f" … and {count - listed} more); pass `--allow-delete` to plan them." in shown.stdout


@pytest.mark.timeout(60)
def test_a_plan_holding_too_much_everywhere_still_fits(tmp_path: Path) -> None:
    """Long keys, thousands of conflicts and withheld changes, an enormous value, a tenant URL and
    selection of 100,000 characters, 1,000 unsafe reasons: the comment is cut, never endless."""
    huge = "v" * 200_000
    changes = [
        Change(
            action="update",
            key=f"k{n:05d}-" + "y" * 180,
            profile_id=f"p{n}",
            fingerprint="f",
            fields=(FieldChange(field="tags", path="tags", before=None, after=[huge[: n * 40]]),),
        )
        for n in range(3_000)
    ]
    plan = Plan(
        options=PlanOptions(
            tenant="t" * 100_000, selectors=Selectors(target=tuple("g" * 1_000 for _ in range(100)))
        ),
        inputs_digest="d",
        changes=tuple(changes),
        conflicts=tuple(
            Conflict(kind="taken", keys=(f"c{n}",), fields=("email",), reason="r" * 500)
            for n in range(3_000)
        ),
        withheld=tuple(
            Withheld(action=action, key=f"w{n:05d}-" + "z" * 200, reason="undeclared")
            for n in range(5_004)
            for action in ("delete", "purge")
        ),
        unsafe=tuple("u" * 1_000 for _ in range(1_000)),
    )

    started = time.perf_counter()
    markdown = render(plan, "markdown")
    elapsed = time.perf_counter() - started

    assert len(markdown) <= MARKDOWN_LIMIT
    assert elapsed < 30
    assert "more changes in the plan artifact" in markdown
    assert "… and 995 more" in markdown  # unsafe reasons beyond the first five


def test_a_comment_is_cut_in_the_order_a_reviewer_needs() -> None:
    """Conflicts first, then purges and deletes, then the rest; each section says how many."""
    plan = _withheld_plan(0, 1).model_copy(
        update={
            "changes": tuple(
                Change(
                    action=action,
                    key=f"{action}-{n:04d}",
                    profile_id=f"p{n}",
                    fingerprint="f",
                    fields=()
                    if action == "delete"
                    else (FieldChange(field="tags", path="tags", before=None, after=["t" * 60]),),
                )
                for action in ("create", "update", "delete")
                for n in range(1_000)
            )
        }
    )
    markdown = render(plan, "markdown")
    assert len(markdown) <= MARKDOWN_LIMIT
    assert "<b>1000 to delete</b></summary>" in markdown  # every delete shown
    assert "<b>1000 to update</b> (showing " in markdown
    assert "<b>1000 to create</b> (showing 0)</summary>" in markdown
