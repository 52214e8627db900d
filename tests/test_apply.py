"""``reconcile apply`` end to end against the embedded sandbox, through the real CLI."""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path
from typing import Any

from reconcile.settings import load_settings, resolve_target
from reconcile.tenant.client import OmneoClient
from tests.conftest import Project


def journal_lines(plan_file: Path) -> list[dict[str, Any]]:
    path = plan_file.with_name(f"{plan_file.stem}.journal.jsonl")
    return [json.loads(line) for line in path.read_text().splitlines()]


def tenant_call(project: Project, method: str, *args: Any) -> Any:
    """Call the project's tenant through the library's client, as another system would."""

    async def call() -> Any:
        target = resolve_target(load_settings(project.root), None, os.environ)
        async with OmneoClient.open(target) as client:
            return await getattr(client, method)(*args)

    return asyncio.run(call())


def plan_to(project: Project, name: str, *flags: str) -> Path:
    path = project.plans / f"{name}.json"
    result = project.cli("plan", "-o", str(path), *flags)
    assert result.exit_code == 0, result.output
    return path


def assert_converged(project: Project, *flags: str) -> None:
    again = project.cli("plan", "--detailed-exitcode", *flags)
    assert again.exit_code == 0, again.output
    assert "No changes" in again.stdout


def test_two_profiles_swap_emails_through_a_temporary_address(project: Project) -> None:
    project.write("ann.yaml", "first_name: Ann\nemail: ann@example.com\n")
    project.write("bob.yaml", "first_name: Bob\nemail: bob@example.com\n")
    assert project.cli("apply", "--auto-approve").exit_code == 0
    project.write("ann.yaml", "first_name: Ann\nemail: bob@example.com\n")
    project.write("bob.yaml", "first_name: Bob\nemail: ann@example.com\n")

    applied = project.cli("apply", str(plan_to(project, "swap")))

    assert applied.exit_code == 0, applied.output
    assert "2 applied, 0 failed" in applied.stderr
    ann = tenant_call(project, "find_by_identity", "reconcile", "ann")
    bob = tenant_call(project, "find_by_identity", "reconcile", "bob")
    assert (ann.fields["email"], bob.fields["email"]) == ("bob@example.com", "ann@example.com")
    assert_converged(project)


def test_a_three_way_rotation_of_mobiles_and_identities_is_applied(project: Project) -> None:
    people = {"a": "+61400000001", "b": "+61400000002", "c": "+61400000003"}
    for n, (key, mobile) in enumerate(people.items()):
        project.write(
            f"{key}.yaml",
            f"email: {key}@example.com\nmobile_phone: '{mobile}'\nidentities: {{pos: 'p{n}'}}\n",
        )
    assert project.cli("apply", "--auto-approve").exit_code == 0
    rotated = dict(zip(people, [*list(people.values())[1:], people["a"]], strict=True))
    for n, (key, mobile) in enumerate(rotated.items()):
        project.write(
            f"{key}.yaml",
            f"email: {key}@example.com\nmobile_phone: '{mobile}'\n"
            f"identities: {{pos: 'p{(n + 1) % 3}'}}\n",
        )

    applied = project.cli("apply", str(plan_to(project, "rotate")))

    assert applied.exit_code == 0, applied.output
    assert "3 applied, 0 failed" in applied.stderr
    a = tenant_call(project, "find_by_identity", "reconcile", "a")
    assert a.fields["mobile_phone"] == people["b"]
    assert a.identifier("pos") == "p1"
    assert_converged(project)


def test_an_update_that_frees_an_email_runs_before_the_update_that_takes_it(
    project: Project,
) -> None:
    project.write("a-taker.yaml", "email: a@example.com\n")
    project.write("b-giver.yaml", "email: shared@example.com\n")
    assert project.cli("apply", "--auto-approve").exit_code == 0
    project.write("a-taker.yaml", "email: shared@example.com\n")  # sorted first: runs first
    project.write("b-giver.yaml", "email: b@example.com\n")  # unless ordering says otherwise

    applied = project.cli("apply", str(plan_to(project, "handover")), "--concurrency", "1")

    assert applied.exit_code == 0, applied.output
    assert "2 applied, 0 failed" in applied.stderr
    assert_converged(project)


def test_the_journal_records_each_change_started_then_finished(project: Project) -> None:
    project.write("jane.yaml", "first_name: Jane\nemail: jane@example.com\ntags: [vip]\n")
    project.write("sam.yaml", "first_name: Sam\nemail: sam@example.com\n")
    plan_file = plan_to(project, "first")

    applied = project.cli("apply", str(plan_file))

    assert applied.exit_code == 0, applied.output
    assert f"Journal: {project.plans / 'first.journal.jsonl'}" in applied.stderr
    run, *changes = journal_lines(plan_file)
    assert run["type"] == "run" and run["mode"] == "apply"
    assert run["plan"] == json.loads(plan_file.read_text())["checksum"]
    by_key: dict[str, list[str]] = {}
    for line in changes:
        by_key.setdefault(line["key"], []).append(line["status"])
        assert line["action"] == "create" and line["attempt"] == 1
    assert by_key == {"jane": ["started", "ok"], "sam": ["started", "ok"]}
    finished = [line for line in changes if line["status"] == "ok"]
    assert all(line["profile_id"] and line["error"] is None for line in finished)
    assert "jane@example.com" not in (project.plans / "first.journal.jsonl").read_text()


def test_a_failure_is_journalled_and_does_not_stop_unrelated_changes(project: Project) -> None:
    project.write("jane.yaml", "email: jane@example.com\n")
    project.write("sam.yaml", "email: sam@example.com\n")
    plan_file = plan_to(project, "p")
    # After review, another system takes Jane's email on the tenant.
    tenant_call(project, "create_profile", {"email": "jane@example.com", "first_name": "X"})

    applied = project.cli("apply", str(plan_file))

    assert applied.exit_code == 1
    assert "1 applied, 1 failed" in applied.stderr
    assert "failed: create jane: POST profiles answered 422" in applied.stderr
    assert "email: The email has already been taken." in applied.stderr
    assert f"reconcile -C {project.root} apply --resume {plan_file}" in applied.stderr
    assert "apply: 2/2 (create 1; 1 failed)" in applied.stderr  # plain progress without a TTY
    assert "retried" not in applied.stderr  # a 422 is final: never retried
    failed = [line for line in journal_lines(plan_file) if line.get("status") == "failed"]
    assert [(f["key"], f["action"]) for f in failed] == [("jane", "create")]
    assert "422" in failed[0]["error"]


def test_fail_fast_stops_starting_changes_after_the_first_failure(project: Project) -> None:
    project.write("aaa.yaml", "email: aaa@example.com\n")
    for n in range(5):
        project.write(f"z{n}.yaml", f"email: z{n}@example.com\n")
    plan_file = plan_to(project, "p")
    tenant_call(project, "create_profile", {"email": "aaa@example.com"})

    applied = project.cli("apply", str(plan_file), "--fail-fast", "--concurrency", "1")

    assert applied.exit_code == 1
    assert "0 applied, 1 failed, 5 not attempted" in applied.stderr
    resumed = project.cli("apply", "--resume", str(plan_file))
    assert resumed.exit_code == 1
    assert "5 applied, 1 failed" in resumed.stderr


def test_a_plan_is_not_applied_twice_and_resume_skips_what_is_done(project: Project) -> None:
    project.write("jane.yaml", "email: jane@example.com\n")
    project.write("sam.yaml", "email: sam@example.com\n")
    plan_file = plan_to(project, "p")
    taken = tenant_call(project, "create_profile", {"email": "sam@example.com"})
    assert project.cli("apply", str(plan_file)).exit_code == 1

    again = project.cli("apply", str(plan_file))
    assert again.exit_code == 1
    assert "this plan was already applied" in again.stderr
    assert "--resume" in again.stderr

    tenant_call(project, "delete_profile", taken.id)
    tenant_call(project, "purge_profile", taken.id)
    resumed = project.cli("apply", "--resume", str(plan_file))
    assert resumed.exit_code == 0, resumed.output
    assert "1 applied, 0 failed, 1 already done" in resumed.stderr
    lines = journal_lines(plan_file)
    assert [line["mode"] for line in lines if line["type"] == "run"] == ["apply", "resume"]
    sam = [(line["status"], line["attempt"]) for line in lines if line.get("key") == "sam"]
    assert sam == [("started", 1), ("failed", 1), ("started", 2), ("ok", 2)]
    assert_converged(project)


def test_stale_plan_names_the_profiles_that_moved_on_the_tenant(project: Project) -> None:
    for key in ("ann", "bob", "cat"):
        project.write(f"{key}.yaml", f"first_name: A\nemail: {key}@example.com\n")
    assert project.cli("apply", "--auto-approve").exit_code == 0
    for key in ("ann", "bob", "cat"):
        project.write(f"{key}.yaml", f"first_name: B\nemail: {key}@example.com\n")
    plan_file = plan_to(project, "p")
    bob = tenant_call(project, "find_by_identity", "reconcile", "bob")
    tenant_call(project, "update_profile", bob.id, {"last_name": "Edited"})
    tenant_call(project, "create_profile", {"email": "x@example.com", "identities": [
        {"handle": "reconcile", "identifier": "dan"}]})  # fmt: skip

    refused = project.cli("apply", str(plan_file))

    assert refused.exit_code == 1
    assert "the tenant changed since the plan was made (bob)" in refused.stderr
    assert not plan_file.with_name("p.journal.jsonl").exists()  # nothing was written


def test_deletes_and_purges_need_their_flags(project: Project) -> None:
    project.write("gone.yaml", "email: gone@example.com\n")
    project.write("erased.yaml", "email: erased@example.com\nmobile_phone: '+61400000009'\n")
    assert project.cli("apply", "--auto-approve").exit_code == 0
    project.write("gone.yaml", "state: absent\n")
    project.write("erased.yaml", "state: purged\nerasure: {reference: REQ-1}\n")
    project.write("heir.yaml", "email: heir@example.com\n")
    plan_file = plan_to(project, "p", "--allow-delete", "--allow-purge")

    assert "--allow-purge" in project.cli("apply", str(plan_file), "--allow-delete").stderr
    applied = project.cli("apply", str(plan_file), "--allow-delete", "--allow-purge")

    assert applied.exit_code == 0, applied.output
    assert "3 applied, 0 failed" in applied.stderr
    assert tenant_call(project, "find_by_identity", "reconcile", "erased") is None
    assert_converged(project, "--allow-delete", "--allow-purge")


def test_apply_without_a_plan_file_saves_the_plan_it_shows(project: Project) -> None:
    project.write("jane.yaml", "email: jane@example.com\n")

    applied = project.cli("apply", "--auto-approve")

    assert applied.exit_code == 0, applied.output
    [saved] = project.saved_plans()
    assert saved.with_name(f"{saved.stem}.journal.jsonl").exists()
    assert "--resume" in project.cli("apply", "--resume").stderr


def test_a_large_plan_is_verified_through_one_listing_and_still_names_what_moved(
    project: Project,
) -> None:
    keys = [f"p{n:02}" for n in range(52)]
    project.write("many.yaml", "profiles:\n" + "".join(
        f"  - {{key: {k}, first_name: A, email: {k}@example.com}}\n" for k in keys))  # fmt: skip
    assert project.cli("apply", "--auto-approve").exit_code == 0
    project.write("many.yaml", "profiles:\n" + "".join(
        f"  - {{key: {k}, first_name: B, email: {k}@example.com}}\n" for k in keys))  # fmt: skip
    plan_file = plan_to(project, "many")
    moved = tenant_call(project, "find_by_identity", "reconcile", "p42")
    tenant_call(project, "update_profile", moved.id, {"last_name": "Edited"})

    refused = project.cli("apply", str(plan_file), "--force")  # 100% updates: over the threshold
    assert refused.exit_code == 1
    assert "the tenant changed since the plan was made (p42)" in refused.stderr

    tenant_call(project, "update_profile", moved.id, {"last_name": None})
    applied = project.cli("apply", str(plan_to(project, "many-again")), "--force")
    assert applied.exit_code == 0, applied.output
    assert "52 applied, 0 failed" in applied.stderr
    assert_converged(project)


def test_addresses_are_added_changed_and_removed_through_the_address_endpoints(
    project: Project,
) -> None:
    home = "{address_line_1: 1 Main St, city: Sydney, state: NSW, postcode: '2000', country: AU}"
    work = "{address_line_1: 9 Work Rd, city: Perth, state: WA, postcode: '6000', country: AU}"
    project.write("jane.yaml", f"email: jane@example.com\naddresses: [{home}, {work}]\n")
    created = project.cli("apply", "--auto-approve")
    assert created.exit_code == 0, created.output
    jane = tenant_call(project, "find_by_identity", "reconcile", "jane")
    assert [a.fields["city"] for a in tenant_call(project, "list_addresses", jane.id)] == [
        "Sydney",
        "Perth",
    ]

    moved = home.replace("1 Main St", "2 Main St").replace("}", ", address_line_2: Unit 4}")
    project.write("jane.yaml", f"email: jane@example.com\naddresses: [{moved}]\n")
    applied = project.cli("apply", str(plan_to(project, "moved")))

    assert applied.exit_code == 0, applied.output
    [address] = tenant_call(project, "list_addresses", jane.id)
    fields = address.fields
    assert (fields["address_line_1"], fields["address_line_2"]) == ("2 Main St", "Unit 4")
    assert_converged(project)


def test_on_a_terminal_progress_is_a_bar_redrawn_in_place(project: Project) -> None:
    project.write("many.yaml", "profiles:\n" + "".join(
        f"  - {{key: k{n}, email: k{n}@example.com}}\n" for n in range(12)))  # fmt: skip
    returncode, text = project.on_terminal("apply", "--auto-approve", stream="stderr")

    assert returncode == 0, text
    assert "\r[########################] 12/12 (create 12; 0 failed)" in text
    assert "/s" in text and "apply: " not in text  # the bar, not the plain lines of a log
