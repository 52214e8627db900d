"""`reconcile show` of every shard's plan: one review, one exit code (docs/ci.md, docs/plans.md).

The plans are real shard plans made against a served sandbox; the merged review's totals are the
unsharded plan's, the comment stays under GitHub's limit, and plans that are not the shards of
one run are refused with one line.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from click.testing import Result

import reconcile
from reconcile.errors import PlanError
from reconcile.plan.merge import merge_plans
from reconcile.plan.value import Plan
from reconcile.sandbox import ServedSandbox
from tests.conftest import Project

GITHUB_LIMIT = 65_536


class Shards:
    def __init__(self, project: Project, sandbox: ServedSandbox) -> None:
        self.project, self.sandbox = project, sandbox

    def cli(self, *args: str) -> Result:
        env = {"OMNEO_URL": self.sandbox.url, "OMNEO_TOKEN": self.sandbox.token}
        return self.project.cli(*args, env=env)

    def plan(self, name: str, *args: str) -> Path:
        path = self.project.plans / name
        result = self.cli("plan", "-o", str(path), *args)
        assert path.exists(), result.output
        return path

    def shards(self, count: int, *args: str) -> list[str]:
        return [
            str(self.plan(f"shard-{i}.json", "--shard", f"{i}/{count}", *args))
            for i in range(1, count + 1)
        ]


@pytest.fixture
def shards(project: Project, served_sandbox: ServedSandbox) -> Iterator[Shards]:
    yield Shards(project, served_sandbox)


def _applied(shards: Shards, count: int) -> None:
    for n in range(count):
        shards.project.write(f"p{n:02d}.yaml", f"first_name: P{n}\nemail: p{n}@example.com\n")
    result = shards.cli("apply", "--auto-approve")
    assert result.exit_code == 0, result.output


def test_the_shards_plans_show_as_one_review_with_the_whole_plans_totals(shards: Shards) -> None:
    _applied(shards, 12)
    for n in (1, 4, 7):
        shards.project.write(f"p{n:02d}.yaml", f"first_name: Q{n}\nemail: p{n}@example.com\n")
    shards.project.write("new.yaml", "email: new@example.com\n")
    shards.project.remove("p09.yaml")
    whole = Plan.load(shards.plan("whole.json"))
    files = shards.shards(3)

    shown = shards.cli("show", *files, "--format", "markdown", "--detailed-exitcode")
    assert shown.exit_code == 2, shown.output  # changes (and a withheld delete)
    assert shown.stdout.count("### reconcile plan for") == 1
    assert f"**{whole.summary()}**" in shown.stdout
    assert "Merged from 3 shard plans" in shown.stdout
    for i in (1, 2, 3):
        assert f"| {i}/3 | `" in shown.stdout
    assert "p1@example.com" not in shown.stdout  # masked, as every report

    report = json.loads(shards.cli("show", *files, "--format", "json").stdout)
    alone = json.loads(
        shards.cli("show", str(shards.project.plans / "whole.json"), "--format", "json").stdout
    )
    assert report["summary"] == alone["summary"]
    assert [s["shard"] for s in report["shards"]] == ["1/3", "2/3", "3/3"]
    assert sorted(c["key"] for c in report["changes"]) == sorted(c.key for c in whole.changes)
    assert report["unchanged"] == whole.unchanged and report["managed"] == whole.managed
    plans = [Plan.load(Path(f)) for f in files]
    merged = merge_plans(plans)
    assert merged.withheld == whole.withheld
    # Each shard's apply pays its own lock and checks: the shards' requests, summed.
    assert merged.cost is not None
    assert merged.cost.requests == sum(p.cost.requests for p in plans if p.cost)


def test_one_exit_code_for_all_shards(shards: Shards) -> None:
    _applied(shards, 6)
    files = shards.shards(2)
    assert shards.cli("show", *files, "--detailed-exitcode").exit_code == 0
    assert "No changes." in shards.cli("show", *files, "--format", "markdown").stdout
    shards.project.write("p02.yaml", "first_name: Changed\nemail: p2@example.com\n")
    changed = shards.shards(2)
    assert shards.cli("show", *changed, "--detailed-exitcode").exit_code == 2
    assert shards.cli("show", *changed).exit_code == 0  # without the flag: shown, 0


def test_a_conflict_in_any_shard_is_exit_1(shards: Shards) -> None:
    _applied(shards, 4)
    headers = {"Authorization": f"Bearer {shards.sandbox.token}"}
    with httpx.Client(base_url=shards.sandbox.url, headers=headers, timeout=30) as api:
        answer = api.post("/profiles", json={"first_name": "U", "email": "u@example.com"})
        assert answer.status_code in (200, 201), answer.text
    shards.project.write("u.yaml", "email: u@example.com\n")  # matches it: no adoption
    files = shards.shards(2, "--no-adopt")
    assert shards.cli("show", *files, "--format", "markdown").exit_code == 0
    shown = shards.cli("show", *files, "--detailed-exitcode")
    assert shown.exit_code == 1
    assert "1 conflicts" in shown.stderr


def test_plans_that_are_not_one_runs_shards_are_refused_with_one_line(shards: Shards) -> None:
    _applied(shards, 4)
    files = shards.shards(3)
    cases = {
        "missing": ([files[0], files[2]], "shard 2 of 3 missing"),
        "twice": ([files[0], files[0], files[1], files[2]], "both shard 1/3"),
        "unsharded": ([*files, str(shards.plan("whole.json"))], "not a shard's plan"),
    }
    shards.project.write("p00.yaml", "first_name: Edited\nemail: p0@example.com\n")
    late = str(shards.plan("late.json", "--shard", "3/3"))
    cases["another tree"] = ([*files[:2], late], "another profiles.d/")
    for name, (given, message) in cases.items():
        shown = shards.cli("show", *given)
        assert shown.exit_code == 1, name
        assert message in shown.output, (name, shown.output)
        assert len(shown.output.strip().splitlines()) == 1, name
        assert "Traceback" not in shown.output
    with pytest.raises(PlanError, match="no plan"):
        merge_plans([])


def test_a_large_merged_review_is_one_comment(shards: Shards) -> None:
    for n in range(900):
        shards.project.write(
            f"big/c{n:04d}.yaml",
            f"first_name: Customer{n}\nlast_name: Longname{n}\nemail: c{n}@example.com\n"
            f"tags: [alpha, beta, gamma]\ncompany: Company number {n}\n",
        )
    files = shards.shards(4)
    shown = shards.cli("show", *files, "--format", "markdown", "--detailed-exitcode")
    assert shown.exit_code == 2, shown.output
    assert len(shown.stdout) <= GITHUB_LIMIT - 1_000  # room for a CI job's header
    assert "more changes in the plan artifact" in shown.stdout
    assert "**900 to create" in shown.stdout
    assert "Merged from 4 shard plans" in shown.stdout


def test_the_library_shows_and_merges_several_plans(shards: Shards) -> None:
    _applied(shards, 5)
    shards.project.write("p01.yaml", "first_name: Changed\nemail: p1@example.com\n")
    files = [Path(f) for f in shards.shards(2)]
    env = {"OMNEO_URL": shards.sandbox.url, "OMNEO_TOKEN": shards.sandbox.token}
    library = reconcile.Project(shards.project.root, env=env)
    assert (
        library.show(files, "markdown")
        == shards.cli("show", *map(str, files), "-f", "markdown").stdout
    )
    merged = library.merged(files)
    assert [c.key for c in merged.changes] == ["p01"] and merged.unchanged == 4
    assert library.show(files[0]) == shards.cli("show", str(files[0])).stdout  # one: itself
