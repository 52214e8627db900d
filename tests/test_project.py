"""``reconcile.Project`` does what the commands do, from Python: the same plan as ``reconcile
plan``, every check of ``reconcile apply``, a stop that leaves a plan to resume, and only
``ReconcileError``s."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest

import reconcile
from reconcile.plan.selectors import parse_shard
from reconcile.report.render import render
from tests.conftest import REPO, Project

SCRIPT = """\
import reconcile
project = reconcile.Project()
plan = project.plan()
print(project.apply(plan).summary())
"""
# Left out of the script's environment, so that it plans its own sandbox, unsigned.
_NOT_INHERITED = ("OMNEO_URL", "OMNEO_TOKEN", "RECONCILE_PLAN_KEY")


def copy_of_the_example(root: Path) -> Project:
    shutil.copytree(REPO / "profiles.d", root / "profiles.d")
    return Project(root)


def test_a_four_line_script_plans_and_applies_as_the_commands_do(tmp_path: Path) -> None:
    assert len(SCRIPT.splitlines()) <= 6
    by_cli, by_script = copy_of_the_example(tmp_path / "cli"), copy_of_the_example(tmp_path / "py")

    planned = by_cli.cli("plan")
    [cli_plan] = by_cli.saved_plans()
    applied = by_cli.cli("apply", str(cli_plan))
    env = {k: v for k, v in os.environ.items() if k not in _NOT_INHERITED}
    ran = subprocess.run(
        [sys.executable, "-c", SCRIPT], cwd=by_script.root, env=env, capture_output=True,
        text=True, timeout=300, check=False,
    )  # fmt: skip

    assert planned.exit_code == 0 and applied.exit_code == 0, applied.output
    assert ran.returncode == 0, ran.stderr
    [script_plan] = by_script.saved_plans()
    assert script_plan.name.startswith("local-") and cli_plan.name.startswith("local-")
    assert script_plan.read_bytes() == cli_plan.read_bytes()  # the names differ by their time
    assert ran.stdout == "13 applied, 0 failed\n" and "13 applied, 0 failed" in applied.stderr
    again = by_script.cli("plan", "--detailed-exitcode")
    assert again.exit_code == 0 and "No changes" in again.stdout


def declare(project: Project, count: int) -> None:
    lines = ["profiles:"]
    for n in range(count):
        lines += [f"  - key: p{n:02}", f"    email: p{n}@example.com"]
    project.write("people.yaml", "\n".join(lines) + "\n")


def test_a_stop_lets_the_changes_in_flight_finish_and_leaves_a_plan_to_resume(
    project: Project,
) -> None:
    declare(project, 12)
    library = reconcile.Project(project.root, env={})
    stop = threading.Event()
    plan = library.plan()

    stopped = library.apply(
        plan, concurrency=1, stop=stop, progress=lambda p: stop.set() if p.finished >= 3 else None
    )

    assert stopped.stopped and not stopped.complete
    assert len(stopped.succeeded) == 3 and len(stopped.not_attempted) == 9
    assert library.lock_status() is None  # released
    with pytest.raises(reconcile.PlanError, match="already applied"):
        library.apply(plan)
    finished = library.apply(plan, resume=True)
    assert finished.complete and not finished.stopped
    assert len(finished.succeeded) == 9 and len(finished.already_done) == 3
    assert not library.plan(out=False).changes


def test_a_plan_is_always_checked_against_the_project(project: Project, tmp_path: Path) -> None:
    declare(project, 2)
    other = copy_of_the_example(tmp_path / "other")
    theirs = reconcile.Project(other.root, env={}).plan(out=False)
    library = reconcile.Project(project.root, env={})

    with pytest.raises(reconcile.StalePlanError, match="from another project"):
        library.apply(theirs)  # a plan object, not a file: checked all the same

    emptied = library.plan(out=False).model_copy(update={"unsafe": (), "inputs_digest": "x"})
    with pytest.raises(reconcile.StalePlanError, match=r"profiles\.d/ changed"):
        library.apply(emptied)
    assert library.plan(out=False).count("create") == 2  # nothing was written


def test_teardown_is_applied_through_the_same_checks(project: Project) -> None:
    declare(project, 3)
    library = reconcile.Project(project.root, env={})
    assert library.apply(library.plan()).complete

    removal = library.teardown()

    assert removal.count("delete") == 3 and library.saved(removal) is not None
    assert library.saved(removal).name.startswith("teardown-local-")  # type: ignore[union-attr]
    with pytest.raises(reconcile.UnsafePlanError, match="--allow-delete"):
        library.apply(removal)
    with pytest.raises(reconcile.UnsafePlanError, match="declares present"):
        library.apply(removal, allow_delete=True)
    assert library.apply(removal, allow_delete=True, force=True).complete
    assert library.plan(out=False).count("restore") == 3  # soft-deleted: the tenant keeps them


def test_validate_reports_problems_without_raising(project: Project) -> None:
    project.write("bad.yaml", "email: not-an-email\n")
    project.write("good.yaml", "email: good@example.com\n")

    checked = reconcile.Project(project.root, env={}).validate()

    assert not checked.ok and checked.profiles == 0
    assert [p.file for p in checked.problems] == ["profiles.d/bad.yaml"]
    assert isinstance(checked.error(), reconcile.ProfileError)


def test_the_projects_tenants_and_their_kinds(project: Project) -> None:
    (project.root / "reconcile.toml").write_text(
        '[tenants.staging]\nurl = "https://s.example/api/v3"\nkind = "test"\n'
        '[tenants.prod]\nurl = "https://p.example/api/v3"\n'
    )
    library = reconcile.Project.open(project.root, env={})

    assert library.tenant_names() == ["local", "prod", "staging"]
    assert [library.tenant_kind(t) for t in library.tenant_names()] == [
        "test", "production", "test",
    ]  # fmt: skip
    assert reconcile.Project(project.root, env={"OMNEO_URL": "u"}).tenant_kind() == "production"
    with pytest.raises(reconcile.ConfigError, match="unknown tenant 'qa'"):
        library.tenant_kind("qa")


def test_a_broken_configuration_is_a_config_error(project: Project) -> None:
    (project.root / "reconcile.toml").write_text("owner_handle = [\n")
    with pytest.raises(reconcile.ConfigError, match=r"reconcile\.toml"):
        reconcile.Project(project.root)


def test_inside_an_event_loop_the_async_twin_is_the_one_to_use(project: Project) -> None:
    declare(project, 1)

    async def inside() -> reconcile.Plan:
        with pytest.raises(reconcile.ConfigError, match="use AsyncProject"):
            reconcile.Project(project.root, env={}).plan(out=False)
        return await reconcile.AsyncProject(project.root, env={}).plan(out=False)

    assert asyncio.run(inside()).count("create") == 1


def test_library_users_get_reconcile_errors_for_bad_options(project: Project) -> None:
    declare(project, 1)
    library = reconcile.Project(project.root, env={})
    plan = library.plan(out=False)

    with pytest.raises(reconcile.OptionError, match="unknown format 'yaml'"):
        render(plan, "yaml")  # type: ignore[arg-type]
    with pytest.raises(reconcile.OptionError, match="unknown format 'yaml'"):
        library.show(plan, "yaml")
    with pytest.raises(reconcile.OptionError, match="I must be between 1 and N"):
        parse_shard("4/3")
    with pytest.raises(reconcile.OptionError, match="must look like I/N"):
        library.plan(shard="half", out=False)
    with pytest.raises(reconcile.OptionError, match="say why"):
        library.lock_break(reason=" ")


def test_a_plan_is_saved_whole_and_never_into_a_folder(project: Project) -> None:
    declare(project, 1)
    library = reconcile.Project(project.root, env={})
    target = project.plans / "release.json"
    target.parent.mkdir()
    target.write_text("an older plan\n")

    plan = library.plan(out=target)

    assert reconcile.Plan.load(target).checksum == plan.checksum
    assert sorted(p.name for p in project.plans.iterdir()) == ["release.json"]  # no temp left
    assert target.stat().st_mode & 0o644 == 0o644
    with pytest.raises(reconcile.PlanError, match=rf"{project.plans} is a folder"):
        plan.save(project.plans)


def test_a_plan_object_is_applied_as_given_even_if_its_file_was_overwritten(
    project: Project,
) -> None:
    declare(project, 2)
    library = reconcile.Project(project.root, env={})
    given = library.plan(out=project.plans / "p.json")
    project.write("extra.yaml", "email: extra@example.com\n")
    library.plan(out=project.plans / "p.json")  # another plan saved over the first
    project.remove("extra.yaml")

    result = library.apply(given)

    assert result.plan_file != project.plans / "p.json"  # saved again, as given
    assert sorted(o.key for o in result.succeeded) == ["p00", "p01"]


@pytest.mark.parametrize(
    "args",
    [
        ("export", "--split", "tree"),
        ("export", "--key-template", "{first_name}", "--key-identity", "crm"),
        ("export", "--filter", "no-equals"),
        ("plan", "--shard", "0/2"),
        ("show", "plans/p.json", "--format", "yaml"),
    ],
)
def test_a_bad_option_value_is_a_usage_error_as_before(project: Project, args: list[str]) -> None:
    result = project.cli(*args)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output


def test_a_bad_value_from_python_is_an_option_error_too(project: Project) -> None:
    library = reconcile.Project(project.root, env={})

    with pytest.raises(reconcile.OptionError, match="--concurrency: Input should be greater"):
        library.apply(concurrency=0)
    with pytest.raises(reconcile.OptionError, match="--lock-timeout"):
        library.apply(lock_timeout=-1)
    with pytest.raises(reconcile.OptionError, match="template variable 'when' is a object"):
        library.plan(vars={"when": object()}, out=False)
    with pytest.raises(reconcile.OptionError, match="not between 1 and 500"):
        library.export(page_size=0)
