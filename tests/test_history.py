"""Profiles over time, against a served sandbox: soft-deleted, restored, renamed, withheld.

Each test does what a user would in the second week (tear down and seed again, delete a profile in
Omneo, rename a file, leave an erasure request waiting) and checks that the tool gets out of it:
the plan says what will happen, apply does it, and the next plan is empty.
"""

from __future__ import annotations

import json
import shlex
import shutil
from pathlib import Path
from typing import Any

import httpx
import pytest

from reconcile.sandbox import ServedSandbox
from tests.conftest import REPO, Project

TENANT = ("--tenant", "served")


def point_at(sandbox: ServedSandbox, root: Path) -> dict[str, str]:
    """Add the served sandbox to ``root``'s reconcile.toml as tenant ``served``; its env."""
    config = root / "reconcile.toml"
    kept = config.read_text() if config.exists() else ""
    config.write_text(
        f'{kept}\n[tenants.served]\nurl = "{sandbox.url}"\ntoken_env = "SERVED_TOKEN"\n'
        'kind = "test"\nrps = 1000\n'
    )
    return {"SERVED_TOKEN": sandbox.token}


def api(sandbox: ServedSandbox, method: str, path: str, **kwargs: Any) -> httpx.Response:
    """A request straight to the tenant, as another system (or a person in Omneo) would make."""
    headers = {"Authorization": f"Bearer {sandbox.token}"}
    with httpx.Client(base_url=sandbox.url + "/", headers=headers) as http:
        return http.request(method, path, **kwargs)


def managed_id(sandbox: ServedSandbox, key: str, handle: str = "reconcile") -> str:
    found = api(sandbox, "GET", "identities/search", params={"handle": handle, "identifier": key})
    assert found.status_code == 200, found.text
    return str(found.json()["data"]["profile_id"])


def soft_delete(sandbox: ServedSandbox, key: str) -> str:
    profile_id = managed_id(sandbox, key)
    assert api(sandbox, "DELETE", f"profiles/{profile_id}").status_code == 204
    return profile_id


def deleted_ids(sandbox: ServedSandbox) -> set[str]:
    listed = api(
        sandbox, "GET", "profiles", params={"filter[profile_type]": "deleted", "page[size]": "500"}
    )
    return {p["id"] for p in listed.json()["data"]}


def tenant_keys(sandbox: ServedSandbox) -> list[str]:
    listed = api(sandbox, "GET", "identities", params={"filter[handle]": "reconcile"})
    return sorted(item["identifier"] for item in listed.json()["data"])


def declare_three(project: Project) -> None:
    for n, key in enumerate(("ann", "ben", "cat")):
        project.write(f"{key}.yaml", f"first_name: {key.title()}\nemail: {key}{n}@example.com\n")


def applied(project: Project, env: dict[str, str], *flags: str) -> str:
    result = project.cli("apply", "--auto-approve", *TENANT, *flags, env=env)
    assert result.exit_code == 0, result.output
    return result.stderr


def plan_json(project: Project, env: dict[str, str], *flags: str) -> dict[str, Any]:
    result = project.cli("plan", "--format", "json", *TENANT, *flags, env=env)
    assert result.exit_code == 0, result.output
    return dict(json.loads(result.stdout))


def assert_empty_plan(project: Project, env: dict[str, str], *flags: str) -> None:
    again = project.cli("plan", "--detailed-exitcode", *TENANT, *flags, env=env)
    assert again.exit_code == 0, again.output
    assert "No changes. The tenant matches profiles.d/." in again.stdout


# -- soft-deleted managed profiles: restore, purge, teardown -------------------------------------


def test_a_profile_deleted_in_omneo_is_planned_as_a_restore_then_restored(
    project: Project, served_sandbox: ServedSandbox
) -> None:
    env = point_at(served_sandbox, project.root)
    declare_three(project)
    applied(project, env)
    profile_id = soft_delete(served_sandbox, "ben")
    project.write("ben.yaml", "first_name: Benjamin\nemail: ben1@example.com\n")

    planned = project.cli("plan", "--detailed-exitcode", *TENANT, env=env)
    assert planned.exit_code == 2, planned.output
    assert f"^ restore ben ({profile_id})" in planned.stdout
    assert "first_name: B*** → B*** (changed)" in planned.stdout
    assert "0 to create, 0 to adopt, 1 to restore, 0 to update" in planned.stdout
    report = plan_json(project, env)
    assert [(c["action"], c["key"]) for c in report["changes"]] == [("restore", "ben")]
    assert report["summary"]["restore"] == 1

    assert "1 applied, 0 failed" in applied(project, env)
    assert profile_id not in deleted_ids(served_sandbox)
    profile = api(served_sandbox, "GET", f"profiles/{profile_id}").json()["data"]
    assert (profile["first_name"], profile["profile_type"]) == ("Benjamin", "active")
    assert_empty_plan(project, env)


def test_tombstones_on_a_soft_deleted_profile_absent_is_kept_purged_purges(
    project: Project, served_sandbox: ServedSandbox
) -> None:
    env = point_at(served_sandbox, project.root)
    declare_three(project)
    applied(project, env)
    ben, cat = soft_delete(served_sandbox, "ben"), soft_delete(served_sandbox, "cat")
    project.write("ben.yaml", "state: absent\n")
    project.write("cat.yaml", "state: purged\nerasure: {reference: GDPR-7}\n")

    withheld = project.cli("plan", "--detailed-exitcode", *TENANT, env=env)
    assert withheld.exit_code == 2, withheld.output
    assert "withheld: 1 to purge (needs --allow-purge)" in withheld.stdout
    assert "No changes" not in withheld.stdout

    report = plan_json(project, env, "--allow-purge")
    assert [(c["action"], c["key"]) for c in report["changes"]] == [("purge", "cat")]
    assert "1 applied, 0 failed" in applied(project, env, "--allow-purge")
    assert api(served_sandbox, "GET", f"profiles/{cat}").status_code == 404
    assert deleted_ids(served_sandbox) == {ben}
    journals = sorted(project.plans.glob("*.journal.jsonl"))
    lines = [json.loads(line) for path in journals for line in path.read_text().splitlines()]
    purged = [(e["status"], e["erasure"]) for e in lines if e.get("action") == "purge"]
    assert purged == [("started", "GDPR-7"), ("ok", "GDPR-7")]  # the audit trail
    assert_empty_plan(project, env, "--allow-purge")


def test_teardown_purge_purges_soft_deleted_managed_profiles_too(
    project: Project, served_sandbox: ServedSandbox
) -> None:
    env = point_at(served_sandbox, project.root)
    declare_three(project)
    applied(project, env)
    soft_delete(served_sandbox, "ben")
    other = api(served_sandbox, "POST", "profiles", json={"email": "x@example.com"}).json()
    assert api(served_sandbox, "DELETE", f"profiles/{other['data']['id']}").status_code == 204

    torn = project.cli("teardown", "--purge", "--auto-approve", *TENANT, env=env)
    assert torn.exit_code == 0, torn.output
    assert "3 to purge" in torn.stdout and "3 applied, 0 failed" in torn.stderr
    assert deleted_ids(served_sandbox) == {other["data"]["id"]}  # unmanaged: never touched


def seed_tear_down_then_seed_more(
    tmp_path: Path, served_sandbox: ServedSandbox, first: int, second: int
) -> None:
    """Seed ``first`` profiles in bulk, tear them down, then seed ``second``: the torn-down ones
    are restored, the rest created, and a plan after it is empty."""
    root = tmp_path / "seed"
    shutil.copytree(REPO / "docs" / "examples" / "seed", root)
    project = Project(root)
    env = point_at(served_sandbox, root)
    seed = ("apply", "--bulk", "--auto-approve", *TENANT)

    seeded = project.cli(*seed, "--var", f"count={first}", env=env)
    assert seeded.exit_code == 0 and f"{first} applied, 0 failed" in seeded.stderr, seeded.output
    torn = project.cli("teardown", "--auto-approve", *TENANT, env=env)
    assert torn.exit_code == 0 and f"{first} applied, 0 failed" in torn.stderr, torn.output

    again = project.cli(*seed, "--var", f"count={second}", env=env)
    assert again.exit_code == 0, again.output
    assert f"{second - first} to create, 0 to adopt, {first} to restore" in again.stdout
    assert f"{second} applied, 0 failed" in again.stderr
    assert deleted_ids(served_sandbox) == set()
    check = project.cli("plan", "--detailed-exitcode", "--var", f"count={second}", *TENANT, env=env)
    assert check.exit_code == 0, check.output
    assert "No changes" in check.stdout and f"{second} unchanged" in check.stdout


def test_seed_tear_down_then_seed_more_restores_and_converges(
    tmp_path: Path, served_sandbox: ServedSandbox
) -> None:
    seed_tear_down_then_seed_more(tmp_path, served_sandbox, 30, 48)


@pytest.mark.slow  # listings and batches of several pages: about 30 s
def test_seed_1000_tear_down_then_seed_1600_restores_and_converges(
    tmp_path: Path, served_sandbox: ServedSandbox
) -> None:
    seed_tear_down_then_seed_more(tmp_path, served_sandbox, 1000, 1600)


# -- renames -------------------------------------------------------------------------------------


def test_a_renamed_file_without_previous_keys_is_told_how_to_rename(
    project: Project, served_sandbox: ServedSandbox
) -> None:
    env = point_at(served_sandbox, project.root)
    declare_three(project)
    applied(project, env)
    project.remove("ben.yaml")
    project.write("ben-smith.yaml", "first_name: Ben\nemail: ben1@example.com\n")

    planned = project.cli("plan", *TENANT, env=env)
    assert planned.exit_code == 1
    assert (
        "email b***@example.com belongs to the profile managed as 'ben', which keeps it; if this "
        "is that profile under a new key, add previous_keys: [ben]"
    ) in planned.stdout


def test_a_renamed_file_with_previous_keys_is_one_rename_then_nothing(
    project: Project, served_sandbox: ServedSandbox
) -> None:
    env = point_at(served_sandbox, project.root)
    declare_three(project)
    applied(project, env)
    profile_id = managed_id(served_sandbox, "ben")
    project.remove("ben.yaml")
    project.write(
        "ben-smith.yaml", "first_name: Ben\nemail: ben1@example.com\nprevious_keys: [ben]\n"
    )

    planned = project.cli("plan", "--detailed-exitcode", *TENANT, env=env)
    assert planned.exit_code == 2, planned.output
    assert f"> rename ben → ben-smith ({profile_id})" in planned.stdout
    assert "identities.reconcile: ben → ben-smith" in planned.stdout
    report = plan_json(project, env, "--allow-delete")
    assert [(c["action"], c["key"]) for c in report["changes"]] == [("rename", "ben-smith")]
    assert report["withheld"] == [] and report["conflicts"] == []

    assert "1 applied, 0 failed" in applied(project, env)
    assert managed_id(served_sandbox, "ben-smith") == profile_id
    old = api(served_sandbox, "GET", "profiles/ben", params={"identity[handle]": "reconcile"})
    assert old.status_code == 404
    assert_empty_plan(project, env, "--allow-delete")


# -- apply and resume need nothing but the plan ----------------------------------------------------

SEED = """
profiles:
{% for i in range(count | int) %}
  - key: s{{ i }}
    email: s{{ i }}@example.com
{% endfor %}
"""


def printed(output: str, prefix: str) -> list[str]:
    """The command a line of ``output`` prints after ``prefix``, as arguments for the CLI."""
    line = next(line for line in output.splitlines() if prefix in line)
    words = shlex.split(line.split(prefix, 1)[1])
    assert words[0] == "reconcile"
    # The tests' CLI runs with -C; the command printed names that project with -C too.
    assert words[1] == "-C", words
    return words[3:]


def test_a_partial_failure_under_var_resumes_with_the_printed_command(
    project: Project, served_sandbox: ServedSandbox
) -> None:
    env = point_at(served_sandbox, project.root)
    project.write("seed.yaml.j2", SEED)
    planned = project.cli("plan", "--var", "count=3", "-o", str(project.plans / "p.json"),
                          *TENANT, env=env)  # fmt: skip
    assert planned.exit_code == 0, planned.output
    apply = printed(planned.stderr, "apply it with: ")
    # someone takes s2's email before the apply: its create fails, the others go through
    blocker = api(served_sandbox, "POST", "profiles", json={"email": "s2@example.com"})

    failed = project.cli(*apply, env=env)
    assert failed.exit_code == 1, failed.output
    assert "2 applied, 1 failed" in failed.stderr
    resume = printed(failed.stderr, "Finish it with: ")
    assert resume[:2] == ["apply", "--resume"] and "--var" not in resume
    purged = api(served_sandbox, "POST", f"profiles/{blocker.json()['data']['id']}/purge")
    assert purged.status_code == 204

    finished = project.cli(*resume, env=env)
    assert finished.exit_code == 0, finished.output
    assert "1 applied, 0 failed, 2 already done" in finished.stderr
    assert_empty_plan(project, env, "--var", "count=3")


def test_a_flag_that_contradicts_the_plan_is_refused_naming_the_difference(
    project: Project, served_sandbox: ServedSandbox
) -> None:
    env = point_at(served_sandbox, project.root)
    project.write("seed.yaml.j2", SEED)
    plan_file = str(project.plans / "p.json")
    made = project.cli("plan", "--var", "count=3", "-o", plan_file, *TENANT, env=env)
    assert made.exit_code == 0, made.output

    other_count = project.cli("apply", plan_file, "--var", "count=16", env=env)
    assert other_count.stderr == "error: the plan was made with --var count=3, not 16\n"
    other_tenant = project.cli("apply", plan_file, "--tenant", "local", env=env)
    assert (
        other_tenant.stderr == "error: the plan was made for tenant 'served', not tenant 'local'\n"
    )
    assert tenant_keys(served_sandbox) == []  # nothing was written
