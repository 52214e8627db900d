"""A shard loads, lists and holds only its share, and its plans still equal the whole plan's.

The loader holds the other shards' declarations as outlines (key, state, previous keys, unique
values), so the checks across the tree still see every profile; the tenant listing keeps only
the shard's managed profiles (and every managed key). The shards' plans, put together, are the
unsharded plan: renames, deletes, taken values and contested matches across shards included.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from reconcile.errors import ProfileError
from reconcile.plan.selectors import Selectors, shard_of
from reconcile.profiles.loader import load_profiles
from reconcile.profiles.uniqueness import Outline
from reconcile.sandbox import ServedSandbox
from tests.conftest import Project
from tests.test_apply_trust import tamper

FIRST, SECOND = Selectors(shard="1/2"), Selectors(shard="2/2")


def test_keys_used_here_fall_in_the_shards_the_tests_assume() -> None:
    assert [shard_of(key, 2) for key in ("ann", "bob", "ivy", "jon", "kim")] == [1] * 5
    assert [shard_of(key, 2) for key in ("cat", "dan", "eve")] == [2] * 3


def _write(root: Path, name: str, text: str) -> None:
    (root / name).write_text(text, encoding="utf-8")


def test_a_shard_holds_its_profiles_whole_and_outlines_the_rest(tmp_path: Path) -> None:
    for key in ("ann", "bob", "cat", "dan"):
        _write(tmp_path, f"{key}.yaml", f"email: {key}@example.com\nfirst_name: {key}\n")
    whole = load_profiles(tmp_path, phone_region="AU")
    shard = load_profiles(tmp_path, phone_region="AU", keep=FIRST.selects)
    assert [p.key for p in shard.profiles] == ["ann", "bob"]
    assert [(o.key, o.unique) for o in shard.others] == [
        ("cat", (("email", "cat@example.com"),)),
        ("dan", (("email", "dan@example.com"),)),
    ]
    assert all(isinstance(o, Outline) for o in shard.others)
    assert set(shard.locations) == {"ann", "bob"}
    assert shard.digest == whole.digest  # the plan's inputs are the whole tree's, in every shard


def test_a_shard_still_checks_uniqueness_across_the_whole_tree(tmp_path: Path) -> None:
    _write(tmp_path, "cat.yaml", "email: same@example.com\n")
    _write(tmp_path, "dan.yaml", "email: same@example.com\nprevious_keys: [ann]\n")
    _write(tmp_path, "eve.yaml", "previous_keys: [ann]\n")
    for selectors in (FIRST, SECOND):
        with pytest.raises(ProfileError) as raised:
            load_profiles(tmp_path, phone_region="AU", keep=selectors.selects)
        text = str(raised.value)
        assert "dan.yaml" in text and "also claimed by 'cat'" in text
        assert "eve.yaml" in text and "also a previous key of 'dan'" in text


@pytest.fixture
def api(served_sandbox: ServedSandbox) -> Iterator[httpx.Client]:
    headers = {"Authorization": f"Bearer {served_sandbox.token}", "Accept": "application/json"}
    with httpx.Client(base_url=served_sandbox.url, headers=headers, timeout=30) as client:
        yield client


def _cli(project: Project, sandbox: ServedSandbox, *args: str) -> Any:
    return project.cli(*args, env={"OMNEO_URL": sandbox.url, "OMNEO_TOKEN": sandbox.token})


def _planned(project: Project, sandbox: ServedSandbox, name: str, *args: str) -> dict[str, Any]:
    path = project.plans / name
    planned = _cli(project, sandbox, "plan", "--allow-delete", "-o", str(path), *args)
    assert path.exists(), planned.output
    shown = _cli(project, sandbox, "show", str(path), "--format", "json")
    assert shown.exit_code == 0, shown.output
    return dict(json.loads(shown.stdout))


def _outcome(reports: list[dict[str, Any]]) -> tuple[set[tuple[str, str]], set[tuple[Any, ...]]]:
    changes = {(c["action"], c["key"]) for r in reports for c in r["changes"]}
    conflicts = {(c["kind"], tuple(c["keys"])) for r in reports for c in r["conflicts"]}
    return changes, conflicts


def test_the_shards_plans_together_are_the_whole_plan(
    project: Project, served_sandbox: ServedSandbox, api: httpx.Client
) -> None:
    for key in ("ann", "bob", "cat", "dan"):
        project.write(f"{key}.yaml", f"first_name: {key}\nemail: {key}@example.com\n")
    applied = _cli(project, served_sandbox, "apply", "--auto-approve")
    assert applied.exit_code == 0, applied.output
    # An unmanaged profile that declarations in both shards match (contested in each).
    seeded = {"first_name": "U", "email": "u@example.com", "mobile_phone": "+61400000001"}
    assert api.post("/profiles", json=seeded).status_code in (200, 201)
    project.write("jon.yaml", "email: u@example.com\n")
    project.write("eve.yaml", 'mobile_phone: "+61400000001"\n')
    project.remove("cat.yaml")  # cat (shard 2) renamed to ivy (shard 1)
    project.write("ivy.yaml", "first_name: cat\nemail: cat@example.com\nprevious_keys: [cat]\n")
    # dan (shard 2) holds a mobile it does not declare, so keeps it: kim's claim is taken.
    (dan,) = api.get("/profiles", params={"filter[email]": "dan@example.com"}).json()["data"]
    answer = api.put(f"/profiles/{dan['id']}", json={"mobile_phone": "+61400000002"})
    assert answer.status_code == 200, answer.text
    project.write("kim.yaml", 'mobile_phone: "+61400000002"\n')
    project.write("bob.yaml", "first_name: Robert\nemail: bob@example.com\n")
    project.remove("ann.yaml")

    whole = _planned(project, served_sandbox, "all.json")
    shards = [_planned(project, served_sandbox, f"{n}.json", "--shard", f"{n}/2") for n in (1, 2)]
    changes, conflicts = _outcome([whole])
    assert changes == {("delete", "ann"), ("update", "bob"), ("rename", "ivy")}
    assert conflicts == {("taken", ("kim",)), ("contested", ("eve", "jon"))}
    assert _outcome(shards) == (changes, conflicts)
    assert [r["managed"] for r in shards] == [2, 2]  # ann, bob | cat, dan


def test_a_shard_plan_applies_and_a_tampered_one_is_still_refused(project: Project) -> None:
    for key in ("ann", "bob", "cat", "dan"):
        project.write(f"{key}.yaml", f"first_name: {key}\nemail: {key}@example.com\n")
    plan_file = project.plans / "shard-2.json"
    assert project.cli("plan", "--shard", "2/2", "-o", str(plan_file)).exit_code == 0
    forged = project.plans / "forged.json"
    forged.write_text(plan_file.read_text())

    def widen(data: dict[str, Any]) -> None:
        first = data["changes"][0]["fields"][-1]
        data["changes"][0]["fields"].append({**first, "field": "last_name", "path": "last_name"})

    tamper(forged, widen)
    refused = project.cli("apply", str(forged))
    assert refused.exit_code == 1
    assert "writes fields profiles.d/ does not declare (last_name)" in refused.stderr

    applied = project.cli("apply", str(plan_file))
    assert applied.exit_code == 0, applied.output
    assert "2 applied, 0 failed" in applied.stderr
    rest = project.cli("plan", "--format", "json")
    assert {(c["action"], c["key"]) for c in json.loads(rest.stdout)["changes"]} == {
        ("create", "ann"),
        ("create", "bob"),
    }
