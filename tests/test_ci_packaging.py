"""CI packaging: the GitHub Action, the workflows in docs/ci.md and the pre-commit hook.

The published YAML is linted with check-jsonschema's built-in schemas (offline); the action's
own scripts are run here against the embedded sandbox, as a runner would run them; and the hook
is run through pre-commit on a sample repository.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

import reconcile
from tests.conftest import REPO

BIN = Path(sys.executable).parent
ACTION = REPO / "action.yml"
CI_DOC = REPO / "docs" / "ci.md"
ACTION_REF = "omneo-reconcile/omneo-reconcile@v"


def lint(schema: str, *files: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", schema, *map(str, files)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip


def doc_blocks(first_line: str) -> list[str]:
    """The ```yaml blocks of docs/ci.md whose first line matches ``first_line`` (a regex)."""
    blocks = re.findall(r"```yaml\n(.*?)```", CI_DOC.read_text(encoding="utf-8"), re.DOTALL)
    return [b for b in blocks if re.match(first_line, b.splitlines()[0])]


def workflows(tmp_path: Path) -> list[Path]:
    """Every workflow this repository publishes: the docs' blocks and .github/workflows/."""
    found = sorted((REPO / ".github" / "workflows").glob("*.y*ml"))
    for block in doc_blocks(r"# \.github/workflows/"):
        path = tmp_path / block.splitlines()[0].removeprefix("# .github/workflows/")
        path.write_text(block, encoding="utf-8")
        found.append(path)
    return found


def test_the_action_and_every_workflow_pass_the_github_schemas(tmp_path: Path) -> None:
    checked = lint("vendor.github-actions", ACTION)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    files = workflows(tmp_path)
    assert {p.name for p in files} >= {"profiles.yml", "profiles-sharded.yml"}
    checked = lint("vendor.github-workflows", *files)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    gitlab = doc_blocks(r"# \.gitlab-ci\.yml")
    assert len(gitlab) == 2  # plain, and sharded with one review
    for n, block in enumerate(gitlab):
        (tmp_path / f"{n}.gitlab-ci.yml").write_text(block, encoding="utf-8")
    checked = lint("vendor.gitlab-ci", *(tmp_path / f"{n}.gitlab-ci.yml" for n in range(2)))
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_the_lint_refuses_a_broken_action_and_a_broken_workflow(tmp_path: Path) -> None:
    action = yaml.safe_load(ACTION.read_text(encoding="utf-8"))
    action["runs"]["steps"][1].pop("shell")  # a composite run step needs its shell
    broken = tmp_path / "action.yml"
    broken.write_text(yaml.safe_dump(action), encoding="utf-8")
    assert lint("vendor.github-actions", broken).returncode == 1
    workflow = tmp_path / "w.yml"
    workflow.write_text(
        doc_blocks(r"# \.github/workflows/profiles\.yml")[0].replace("runs-on", "run-on")
    )
    assert lint("vendor.github-workflows", workflow).returncode == 1


def _action() -> dict[str, Any]:
    return dict(yaml.safe_load(ACTION.read_text(encoding="utf-8")))


def test_the_docs_use_the_action_with_inputs_it_has_at_the_packaged_version(tmp_path: Path) -> None:
    inputs = set(_action()["inputs"])
    uses = []
    for path in workflows(tmp_path):
        for job in yaml.safe_load(path.read_text(encoding="utf-8"))["jobs"].values():
            for step in job["steps"]:
                if step.get("uses") == "./" or str(step.get("uses", "")).startswith(ACTION_REF):
                    uses.append(step)
                    assert step["uses"] == "./", step  # what exists today: this repository's
                    assert set(step.get("with", {})) <= inputs, step
    assert len(uses) >= 5
    applies = [s for s in uses if s["with"].get("command") == "apply"]
    assert applies and all(s["with"].get("lock-timeout", "1800") for s in applies)
    # Each is labelled with its published form, at the version the package has.
    local = re.findall(r"uses: \./ .*", CI_DOC.read_text(encoding="utf-8"))
    assert len(local) == len(uses)
    assert all(f"published: {ACTION_REF}{reconcile.__version__}" in line for line in local)


def test_no_input_reaches_a_script_except_through_the_environment() -> None:
    for step in _action()["runs"]["steps"]:
        assert "${{" not in step.get("run", ""), step["name"]  # no shell injection
        assert "${{" not in step.get("with", {}).get("script", ""), step.get("name")


def _step(name: str) -> str:
    return next(s["run"] for s in _action()["runs"]["steps"] if s.get("name") == name)


def _run_step(name: str, cwd: Path, env: dict[str, str]) -> tuple[int, dict[str, str]]:
    """Run one of the action's shell steps the way a runner does: bash -e, GITHUB_OUTPUT."""
    outputs = cwd / "github-output"
    outputs.write_text("")
    base = {k: v for k, v in os.environ.items() if k not in ("OMNEO_URL", "OMNEO_TOKEN")}
    path = f"{BIN}{os.pathsep}{base.get('PATH', '')}"
    process = subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", _step(name)],
        cwd=cwd, capture_output=True, text=True, timeout=300,
        env={**base, "PATH": path, "NO_COLOR": "1", "GITHUB_OUTPUT": str(outputs), **env},
    )  # fmt: skip
    assert "Traceback" not in process.stderr, process.stderr
    pairs = (line.split("=", 1) for line in outputs.read_text().splitlines() if "=" in line)
    return process.returncode, dict(pairs)


def test_the_action_plans_then_applies_with_its_own_scripts(tmp_path: Path) -> None:
    project = tmp_path / "repo"
    (project / "profiles.d").mkdir(parents=True)
    (project / "profiles.d" / "pat.yaml").write_text("first_name: Pat\nemail: pat@example.com\n")
    inputs = {"TENANT": "", "ARGS": "--allow-delete", "PLAN_FILE": "plan/plan.json"}

    code, outputs = _run_step("Plan", project, inputs)
    assert code == 0 and outputs == {"exit-code": "2", "dir": "plan"}
    comment = (project / "plan" / "comment.md").read_text()
    assert "create" in comment and "pat" in comment and "pat@example.com" not in comment
    assert (project / "plan" / "plan.json").is_file()
    assert "<html" in (project / "plan" / "plan.html").read_text().lower()

    code, _ = _run_step("Apply the reviewed plan", project, {**inputs, "LOCK_TIMEOUT": "30"})
    assert code == 0
    code, outputs = _run_step("Plan", project, inputs)
    assert outputs["exit-code"] == "0"  # applied: nothing left to do

    (project / "profiles.d" / "bad.yaml").write_text("email: not-an-email\n")
    code, outputs = _run_step("Plan", project, inputs)
    assert code == 0 and outputs["exit-code"] == "1"  # the next step fails the job
    comment = (project / "plan" / "comment.md").read_text()
    assert comment.startswith("**reconcile plan failed**") and "bad.yaml:1" in comment


def _cache_entries(folder: Path) -> dict[str, tuple[int, int]]:
    """Each parse cache entry's inode and modification time: a rewrite changes both."""
    return {p.name: (p.stat().st_ino, p.stat().st_mtime_ns) for p in folder.glob("*.json")}


def test_the_action_keeps_the_parse_cache_and_the_second_plan_reads_it(tmp_path: Path) -> None:
    first = tmp_path / "first"
    (first / "profiles.d").mkdir(parents=True)
    for n in range(6):
        (first / "profiles.d" / f"p{n}.yaml").write_text(f"email: p{n}@example.com\n")
    inputs = {"TENANT": "", "ARGS": "", "PLAN_FILE": "plan/plan.json"}
    cache = next(s for s in _action()["runs"]["steps"] if s.get("uses") == "actions/cache@v4")
    assert cache["with"]["path"] == "${{ steps.parse-cache.outputs.path }}"
    assert cache["with"]["restore-keys"] == "${{ steps.parse-cache.outputs.prefix }}"

    code, key = _run_step("Parse cache key", first, {"CACHE_PATH": ".reconcile/cache"})
    assert code == 0 and key["path"] == f"{first}/.reconcile/cache"
    assert key["prefix"].startswith("reconcile-parse-cache-") and "0.1" in key["prefix"]
    assert _run_step("Plan", first, inputs)[1]["exit-code"] == "2"
    written = _cache_entries(Path(key["path"]))
    assert len(written) == 6  # one entry a file, written by the first (cold) run

    # The next run: a fresh checkout, the cache restored at the path the action caches.
    second = tmp_path / "second"
    shutil.copytree(first / "profiles.d", second / "profiles.d")
    code, again = _run_step("Parse cache key", second, {"CACHE_PATH": ".reconcile/cache"})
    assert again["prefix"] == key["prefix"] and again["tree"] == key["tree"]  # an exact hit
    shutil.copytree(key["path"], again["path"], copy_function=shutil.copy2)
    restored = _cache_entries(Path(again["path"]))
    assert _run_step("Plan", second, inputs)[1]["exit-code"] == "2"
    # Every entry read back: a file whose entry is missing or unusable is parsed and written.
    assert _cache_entries(Path(again["path"])) == restored

    # A changed tree: another key, the same prefix (restore-keys), one new entry.
    (second / "profiles.d" / "p0.yaml").write_text("email: p0@example.com\nfirst_name: Al\n")
    changed = _run_step("Parse cache key", second, {"CACHE_PATH": ".reconcile/cache"})[1]
    assert changed["prefix"] == key["prefix"] and changed["tree"] != key["tree"]
    assert _run_step("Plan", second, inputs)[1]["exit-code"] == "2"
    assert len(set(_cache_entries(Path(again["path"]))) - set(restored)) == 1

    # A damaged entry, or one from another version, is ignored: the plan is the same.
    for path in Path(again["path"]).glob("*.json"):
        path.write_bytes(path.read_bytes()[:-5] + b"xxxxx")
    (Path(again["path"]) / "0123abcd.json").write_text("from another version\n")
    code, outputs = _run_step("Plan", second, inputs)
    assert code == 0 and outputs["exit-code"] == "2"
    assert "create" in (second / "plan" / "comment.md").read_text()


# -- pre-commit -----------------------------------------------------------------------------


def _env(cwd: Path) -> dict[str, str]:
    """This environment's reconcile and pre-commit first on PATH; pre-commit's cache in tmp."""
    return {
        **os.environ,
        "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
        "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com",
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "PRE_COMMIT_HOME": str(cwd.parent / "pre-commit-home"), "NO_COLOR": "1",
    }  # fmt: skip


def _git(cwd: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["git", *args], cwd=cwd, env=_env(cwd), capture_output=True, text=True, timeout=1200,
        check=check,
    )  # fmt: skip


def hooks_repository(root: Path, files: list[str]) -> tuple[Path, str]:
    """A git repository holding these files of this one (the hook definition at least)."""
    hooks = root / "hooks"
    hooks.mkdir()
    for name in files:
        source, target = REPO / name, hooks / name
        if source.is_dir():
            shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(source, target)
    _git(hooks, "init", "-q", "-b", "main")
    _git(hooks, "add", "-A")
    _git(hooks, "commit", "-q", "-m", "hooks")
    return hooks, _git(hooks, "rev-parse", "HEAD").stdout.strip()


def sample_repository(root: Path, hooks: Path, rev: str, hook: str, config: str = "") -> Path:
    """A profiles repository whose pre-commit runs ``hook`` of ``hooks``, or ``config``."""
    sample = root / "sample"
    (sample / "profiles.d").mkdir(parents=True)
    (sample / "profiles.d" / "jane.yaml").write_text("first_name: Jane\nemail: jane@example.com\n")
    config = (
        config or f"repos:\n  - repo: {hooks}\n    rev: {rev}\n    hooks:\n      - id: {hook}\n"
    )
    (sample / ".pre-commit-config.yaml").write_text(config)
    _git(sample, "init", "-q", "-b", "main")
    return sample


def pre_commit(sample: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "pre-commit"), *args], cwd=sample, env=_env(sample), capture_output=True,
        text=True, timeout=1200,
    )  # fmt: skip


def assert_hook_guards_commits(sample: Path) -> None:
    _git(sample, "add", "-A")  # pre-commit looks at the files git knows
    ran = pre_commit(sample, "run", "--all-files")
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert re.search(r"reconcile validate\.+Passed", ran.stdout), ran.stdout

    assert pre_commit(sample, "install").returncode == 0
    assert _git(sample, "commit", "-q", "-m", "jane").returncode == 0
    (sample / "profiles.d" / "bob.yaml").write_text("first_name: Bob\nemail: bob@\n")
    _git(sample, "add", "-A")
    refused = _git(sample, "commit", "-q", "-m", "bob", check=False)
    assert refused.returncode == 1
    shown = refused.stdout + refused.stderr
    assert "reconcile validate" in shown and "Failed" in shown
    assert "profiles.d/bob.yaml:2: bob: email: is not a valid email address" in shown, shown
    assert _git(sample, "rev-list", "--count", "HEAD").stdout.strip() == "1"  # not committed

    (sample / "profiles.d" / "bob.yaml").write_text("first_name: Bob\nemail: bob@example.com\n")
    _git(sample, "add", "-A")
    assert _git(sample, "commit", "-q", "-m", "bob").returncode == 0


def test_the_hook_runs_through_pre_commit_and_refuses_a_bad_profile(tmp_path: Path) -> None:
    hooks, rev = hooks_repository(tmp_path, [".pre-commit-hooks.yaml"])
    assert_hook_guards_commits(sample_repository(tmp_path, hooks, rev, "reconcile-validate-system"))


def test_the_local_hook_the_docs_give_for_today_guards_commits(tmp_path: Path) -> None:
    (config,) = doc_blocks(r"# \.pre-commit-config\.yaml \(today")
    assert "repo: local" in config
    assert_hook_guards_commits(sample_repository(tmp_path, tmp_path, "", "", config=config))


@pytest.mark.slow  # pre-commit builds the hook's own environment: pip installs every dependency
def test_the_python_hook_installs_reconcile_itself(tmp_path: Path) -> None:
    files = [".pre-commit-hooks.yaml", "pyproject.toml", "README.md", "LICENSE", "reconcile"]
    hooks, rev = hooks_repository(tmp_path, files)
    assert_hook_guards_commits(sample_repository(tmp_path, hooks, rev, "reconcile-validate"))
