"""The library runs the same pipeline as the CLI (the module docstring's example, for real)."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import reconcile
from tests.conftest import REPO


def test_the_documented_library_example_plans_applies_and_converges(tmp_path: Path) -> None:
    shutil.copytree(REPO / "profiles.d", tmp_path / "profiles.d")
    settings = reconcile.load_settings(tmp_path)
    target = reconcile.resolve_target(settings, None, {})

    async def plan_and_apply() -> tuple[reconcile.Plan, reconcile.ApplyResult, reconcile.Plan]:
        declared = reconcile.load_profiles(tmp_path / "profiles.d", phone_region="AU")
        options = reconcile.PlanOptions(tenant=target.url, owner_handle=settings.owner_handle)
        async with reconcile.OmneoClient.open(target) as client:
            first = await reconcile.build_plan(declared, client, options)
        journal = reconcile.Journal(tmp_path / "plans" / "api.journal.jsonl")
        result = await reconcile.apply_reviewed(
            first, declared, target, journal, reconcile.ApplyOptions()
        )
        async with reconcile.OmneoClient.open(target) as client:
            second = await reconcile.build_plan(declared, client, options)
        return first, result, second

    first, result, second = asyncio.run(plan_and_apply())
    assert first.count("create") == len(first.changes) > 0
    assert "to create" in reconcile.render(first, "text")
    assert result.summary().split(" (")[0].endswith("0 failed")
    assert not second.changes


def test_every_exported_name_exists() -> None:
    assert sorted(reconcile.__all__) == reconcile.__all__
    missing = [name for name in reconcile.__all__ if not hasattr(reconcile, name)]
    assert missing == []
