"""The library runs the same pipeline as the CLI (the module docstring's example, for real)."""

from __future__ import annotations

import shutil
from pathlib import Path

import reconcile
from tests.conftest import REPO


def test_the_documented_library_example_plans_applies_and_converges(tmp_path: Path) -> None:
    shutil.copytree(REPO / "profiles.d", tmp_path / "profiles.d")
    project = reconcile.Project(tmp_path, env={})

    first = project.plan()
    result = project.apply(first)
    second = project.plan(out=False)

    assert first.count("create") == len(first.changes) > 0
    assert "to create" in project.show(first)
    assert project.saved(first) == result.plan_file and result.plan_file is not None
    assert result.summary().endswith("0 failed") and result.complete
    assert not second.changes and project.saved(second) is None


def test_every_exported_name_exists() -> None:
    assert sorted(reconcile.__all__) == reconcile.__all__
    missing = [name for name in reconcile.__all__ if not hasattr(reconcile, name)]
    assert missing == []
