"""The parse cache is keyed by what shapes a declaration: another version of a library that
validates, normalises or reads a file, of Python or of the tool, misses every entry."""

from __future__ import annotations

import importlib.metadata
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import reconcile
from reconcile.errors import ProfileError
from reconcile.model.declaration import Declaration
from reconcile.model.desired import DesiredProfile
from reconcile.profiles import cache
from reconcile.profiles.loader import load_profiles
from reconcile.profiles.uniqueness import LoadedProfile

JANE = "email: Jane@Example.com\nmobile_phone: '0412 345 678'\n"


@pytest.fixture
def tree(tmp_path: Path) -> Iterator[Path]:
    (tmp_path / "profiles.d").mkdir()
    (tmp_path / "profiles.d" / "jane.yaml").write_text(JANE)
    cache.environment.cache_clear()
    yield tmp_path
    cache.environment.cache_clear()  # the next test reads the real versions again


def load(root: Path) -> int:
    """Load the tree with its cache; how many files came from the cache."""
    return load_profiles(root / "profiles.d", phone_region="AU", cache_dir=root / "c").cached


def test_the_same_environment_hits_the_cache(tree: Path) -> None:
    assert load(tree) == 0
    assert load(tree) == 1


@pytest.mark.parametrize("library", cache.SHAPING)
def test_another_version_of_a_shaping_library_misses_the_cache(
    library: str, tree: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert load(tree) == 0 and load(tree) == 1
    installed = importlib.metadata.version

    def upgraded(name: str) -> str:
        return "999.0" if name == library else installed(name)

    monkeypatch.setattr(importlib.metadata, "version", upgraded)
    cache.environment.cache_clear()  # as a new process after the upgrade

    assert load(tree) == 0  # read again, not served from the entry of the other version
    assert load(tree) == 1


def test_another_python_or_tool_version_misses_the_cache(
    tree: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert load(tree) == 0
    monkeypatch.setattr(sys, "version", sys.version + " (another build)")
    cache.environment.cache_clear()
    assert load(tree) == 0
    monkeypatch.setattr(reconcile, "__version__", "999.0")
    cache.environment.cache_clear()
    assert load(tree) == 0
    assert load(tree) == 1


def test_every_shaping_library_is_installed() -> None:
    # A misspelt name would read as "absent" forever and never change the key.
    assert "=absent" not in cache.environment()


def test_a_change_to_the_code_that_shapes_a_declaration_misses_the_cache(tmp_path: Path) -> None:
    package = tmp_path / "reconcile"
    shutil.copytree(Path(reconcile.__file__).parent, package)
    before = cache.code_digest(package)
    assert f"code={cache.code_digest(Path(reconcile.__file__).parent)}" in cache.environment()

    (package / "cli" / "common.py").write_text("# not read for a declaration\n")
    assert cache.code_digest(package) == before
    rules = package / "model" / "parts.py"
    rules.write_text(rules.read_text() + "\n# a rule changed\n")
    assert cache.code_digest(package) != before


@pytest.mark.parametrize("gap", [1, 300])  # offsets that fit a byte, and ones that do not
def test_lines_read_back_from_the_cache_name_the_same_lines(tmp_path: Path, gap: int) -> None:
    folder = tmp_path / "profiles.d"
    folder.mkdir()
    comments = "# a note\n" * gap
    first = f"key: ann\ntags: [a]\n{comments}email: ann@example.com\nidentities:\n  pos: '1'\n"
    (folder / "a.yaml").write_text(first)
    (folder / "b.yaml").write_text("key: bob\n\nidentities:\n  pos: '1'\nemail: ann@example.com\n")

    messages = []
    for _ in range(2):  # read afresh, then from the cache
        with pytest.raises(ProfileError) as raised:
            load_profiles(folder, phone_region="AU", cache_dir=tmp_path / "c")
        messages.append(str(raised.value))

    assert messages[0] == messages[1]
    assert f"a.yaml:{gap + 3}" in messages[1]  # the first claim of the email, by its line
    assert f"a.yaml:{gap + 5}" in messages[1]  # and of the identity
    assert len(list((tmp_path / "c").glob("*.json"))) == 2  # each file was clean alone


@pytest.mark.parametrize("remember", [True, False])
def test_an_entry_read_ahead_is_held_for_the_loader_except_in_a_shard(
    tmp_path: Path, remember: bool
) -> None:
    jane = DesiredProfile.model_validate({"key": "jane", "email": "jane@example.com"})
    loaded = [LoadedProfile(Declaration.of(jane), "jane.yaml", 1, {"key": 1, "email": 2}, ())]
    cache.ParseCache(tmp_path, remember=False).put("k", loaded)  # what a worker writes
    reader = cache.ParseCache(tmp_path, remember=remember)

    reader.read_ahead("k")  # read back while the other workers still parse
    for entry in tmp_path.glob("*.json"):
        entry.unlink()

    found = reader.get("k")
    assert (found is not None) is remember  # a shard's load holds nothing whole ahead of time
    assert found is None or [item.profile for item in found] == [loaded[0].profile]
    reader.read_ahead("k")
    assert reader.get("k") is None  # nothing left on disk, nothing held twice
