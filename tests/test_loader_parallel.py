"""A cold tree is parsed on every core, and a warm one revived from the cache without validating:
either way the loader gives exactly what one core reading every file gives, problems included."""

from __future__ import annotations

import multiprocessing
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from reconcile.errors import ProfileError
from reconcile.profiles.loader import begin_loading, load_profiles
from reconcile.profiles.parallel import (
    MIN_FILES,
    MIN_FILES_STARTED,
    cores,
    start_in_parallel,
    start_method,
)
from reconcile.sandbox import ServedSandbox
from tests.conftest import Project


def write_tree(root: Path, files: int, *, broken: bool = False) -> None:
    (root / "crm").mkdir(parents=True)
    (root / "crm" / "_defaults.yaml").write_text("tags: [crm]\n")
    for n in range(files):
        lines = ["profiles:"]
        for m in range(5):
            key = f"p{n:02}-{m}"
            lines += [
                f"  - key: {key}",
                f"    email: {key}@Example.com",
                f"    mobile_phone: '04{n:02}{m:06}'",
                "    attributes: {comms: {email_promo: true}}",
                f"    custom_attributes: {{loyalty: {{points: {m}}}}}",
                "    addresses: [{address_line_1: 1 Hay St, city: Perth, state: WA,",
                "                 postcode: '6000', country: AU}]",
            ]
        (root / "crm" / f"f{n:02}.yaml").write_text("\n".join(lines) + "\n")
    if broken:
        (root / "crm" / "f03.yaml").write_text("profiles:\n  - key: bad\n    email: [1\n")


def test_a_cold_tree_read_on_every_core_is_what_one_core_reads(tmp_path: Path) -> None:
    write_tree(tmp_path / "profiles.d", MIN_FILES * 3)

    alone = load_profiles(tmp_path / "profiles.d", phone_region="AU")
    # Forked workers need this process to run no other thread (an earlier test's idle worker
    # thread is enough to start none here: then the loader reads every file itself).
    forked = start_method() == "fork"
    cold = load_profiles(tmp_path / "profiles.d", phone_region="AU", cache_dir=tmp_path / "c")
    warm = load_profiles(tmp_path / "profiles.d", phone_region="AU", cache_dir=tmp_path / "c")

    assert cold.profiles == alone.profiles and warm.profiles == alone.profiles
    assert [p.flat_view() for p in warm.profiles] == [p.flat_view() for p in alone.profiles]
    assert cold.digest == alone.digest == warm.digest
    assert warm.cached == MIN_FILES * 3  # every file came from the cache the second time
    if cores() > 1 and forked:
        assert cold.cached == MIN_FILES * 3  # the workers had filled it


def test_a_broken_file_is_reported_as_one_core_reports_it(tmp_path: Path) -> None:
    write_tree(tmp_path / "profiles.d", MIN_FILES * 3, broken=True)

    with pytest.raises(ProfileError) as alone:
        load_profiles(tmp_path / "profiles.d", phone_region="AU")
    with pytest.raises(ProfileError) as cold:
        load_profiles(tmp_path / "profiles.d", phone_region="AU", cache_dir=tmp_path / "c")

    assert str(cold.value) == str(alone.value) and "f03.yaml" in str(cold.value)


def test_a_damaged_cache_entry_is_read_again_not_trusted(tmp_path: Path) -> None:
    write_tree(tmp_path / "profiles.d", 2)
    cache = tmp_path / "c"
    first = load_profiles(tmp_path / "profiles.d", phone_region="AU", cache_dir=cache)
    for entry in cache.glob("*.json"):
        entry.write_bytes(entry.read_bytes().replace(b"p00-1@example.com", b"evil@example.com"))

    again = load_profiles(tmp_path / "profiles.d", phone_region="AU", cache_dir=cache)

    assert again.profiles == first.profiles
    assert again.cached == 1  # f01's entry is intact; f00's is read from its file again


def test_a_load_begun_runs_while_the_caller_works_and_gives_the_same_tree(tmp_path: Path) -> None:
    write_tree(tmp_path / "profiles.d", MIN_FILES * 3)
    alone = load_profiles(tmp_path / "profiles.d", phone_region="AU")

    loading = begin_loading(tmp_path / "profiles.d", phone_region="AU", cache_dir=tmp_path / "c")
    meanwhile = sum(range(100_000))  # what `plan` does here: list the tenant
    declared = loading.result()

    assert meanwhile and declared.profiles == alone.profiles and declared.digest == alone.digest
    assert loading.result() is declared  # finished once


@pytest.mark.slow  # the client retries a refused connection with backoff: 15 s a plan
def test_plan_reports_a_broken_tree_before_an_unreachable_tenant(project: Project) -> None:
    write_tree(project.profiles, MIN_FILES * 3, broken=True)
    env = {"OMNEO_URL": "http://127.0.0.1:9/api/v3", "OMNEO_TOKEN": "not-a-real-token"}

    result = project.cli("plan", env=env)
    (project.profiles / "crm" / "f03.yaml").unlink()
    unreachable = project.cli("plan", env=env)

    assert result.exit_code == 1 and result.output.startswith("error: profiles.d/crm/f03.yaml:4:")
    assert unreachable.exit_code == 1
    assert "cannot reach the tenant at http://127.0.0.1:9/api/v3 (OMNEO_URL)" in unreachable.output


def test_plan_reports_a_broken_tree_before_a_tenant_that_refuses_it(
    project: Project, served_sandbox: ServedSandbox
) -> None:
    # The quick twin of the test above: a refused token fails at once, where a refused
    # connection is retried.
    write_tree(project.profiles, MIN_FILES * 3, broken=True)
    env = {"OMNEO_URL": served_sandbox.url, "OMNEO_TOKEN": "not-a-real-token"}

    result = project.cli("plan", env=env)
    (project.profiles / "crm" / "f03.yaml").unlink()
    refused = project.cli("plan", env=env)

    assert result.exit_code == 1 and result.output.startswith("error: profiles.d/crm/f03.yaml:4:")
    assert refused.exit_code == 1 and "401" in refused.output, refused.output


def write_many(root: Path, files: int) -> None:
    """``files`` files of one profile each: enough for workers that start afresh."""
    (root / "crm").mkdir(parents=True)
    (root / "crm" / "_defaults.yaml").write_text("tags: [crm]\n")
    for n in range(files):
        (root / "crm" / f"p{n:03}.yaml").write_text(
            f"email: p{n}@Example.com\nmobile_phone: '0412{n:06}'\n"
        )


@pytest.fixture
def start_method_restored() -> Iterator[None]:
    before = multiprocessing.get_start_method(allow_none=True)
    yield
    multiprocessing.set_start_method(before, force=True)


@pytest.mark.usefixtures("start_method_restored")
@pytest.mark.parametrize(
    "method",
    [m for m in ("spawn", "forkserver") if m in multiprocessing.get_all_start_methods()],
)
def test_a_program_that_chose_spawn_or_forkserver_gets_the_same_tree(
    method: str, tmp_path: Path
) -> None:
    files = MIN_FILES_STARTED * 2
    write_many(tmp_path / "profiles.d", files)
    alone = load_profiles(tmp_path / "profiles.d", phone_region="AU")
    multiprocessing.set_start_method(method, force=True)

    assert start_method() == method
    cold = load_profiles(tmp_path / "profiles.d", phone_region="AU", cache_dir=tmp_path / "c")

    assert cold.profiles == alone.profiles and cold.digest == alone.digest
    if cores() > 1:
        assert cold.cached == files  # the workers, started afresh, filled the cache


@pytest.mark.skipif(
    sys.platform == "darwin" or "fork" not in multiprocessing.get_all_start_methods(),
    reason="workers are never forked here",
)
def test_with_a_thread_running_workers_are_not_forked(tmp_path: Path) -> None:
    files = MIN_FILES_STARTED * 2
    write_many(tmp_path / "profiles.d", files)
    alone = load_profiles(tmp_path / "profiles.d", phone_region="AU")
    alone_here = threading.active_count() == 1  # (an earlier test may have left a thread idle)
    assert (start_method() == "fork") == alone_here
    release = threading.Event()
    thread = threading.Thread(target=release.wait)  # as a served sandbox or a web app would
    thread.start()
    try:
        assert start_method() in ("forkserver", "spawn")
        cold = load_profiles(tmp_path / "profiles.d", phone_region="AU", cache_dir=tmp_path / "c")
    finally:
        release.set()
        thread.join()

    assert cold.profiles == alone.profiles and cold.digest == alone.digest
    if cores() > 1:
        assert cold.cached == files  # workers started under the forkserver filled the cache
    assert (start_method() == "fork") == (threading.active_count() == 1)


def _mark(chunk: list[int], folder: str) -> None:
    for number in chunk:
        (Path(folder) / str(number)).touch()


def test_every_chunk_is_read_here_or_read_back_once_its_worker_wrote_it(tmp_path: Path) -> None:
    if cores() < 2:
        pytest.skip("one core: nothing is shared out")
    # Enough for two workers however they start (a thread left running by an earlier test
    # rules out fork, and started workers need more files each).
    numbers = list(range(MIN_FILES_STARTED * cores() * 2))
    here: list[int] = []
    back: list[int] = []
    started = start_in_parallel(numbers, _mark, (str(tmp_path),), own=here.extend, done=back.extend)
    assert started is not None

    started.wait()

    assert sorted(here + back) == numbers  # each chunk once, none lost
    written = sorted(int(path.name) for path in tmp_path.iterdir())
    assert sorted(back) == written  # what is read back is exactly what the workers wrote
