"""A cold tree is parsed on every core, and a warm one revived from the cache without validating:
either way the loader gives exactly what one core reading every file gives, problems included."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconcile.errors import ProfileError
from reconcile.profiles.loader import begin_loading, load_profiles
from reconcile.profiles.parallel import MIN_FILES, cores
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
    cold = load_profiles(tmp_path / "profiles.d", phone_region="AU", cache_dir=tmp_path / "c")
    warm = load_profiles(tmp_path / "profiles.d", phone_region="AU", cache_dir=tmp_path / "c")

    assert cold.profiles == alone.profiles and warm.profiles == alone.profiles
    assert [p.flat_view() for p in warm.profiles] == [p.flat_view() for p in alone.profiles]
    assert cold.digest == alone.digest == warm.digest
    assert warm.cached == MIN_FILES * 3  # every file came from the cache the second time
    if cores() > 1:
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


def test_plan_reports_a_broken_tree_before_an_unreachable_tenant(project: Project) -> None:
    write_tree(project.profiles, MIN_FILES * 3, broken=True)
    env = {"OMNEO_URL": "http://127.0.0.1:9/api/v3", "OMNEO_TOKEN": "not-a-real-token"}

    result = project.cli("plan", env=env)
    (project.profiles / "crm" / "f03.yaml").unlink()
    unreachable = project.cli("plan", env=env)

    assert result.exit_code == 1 and result.output.startswith("error: profiles.d/crm/f03.yaml:4:")
    assert unreachable.exit_code == 1
    assert "cannot reach the tenant at http://127.0.0.1:9/api/v3 (OMNEO_URL)" in unreachable.output
