"""The gated engine under ``Project.apply`` (``apply.session.apply_reviewed``) carries every check
the CLI has: the plan's tenant, the production guards, the tenant's apply lock, the journal."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import pytest

import reconcile
from reconcile.apply.gate import ProjectPolicy
from reconcile.apply.journal import Journal
from reconcile.apply.session import ApplyOptions, apply_reviewed
from reconcile.tenant.lock import Holder, TenantLock, read_lock
from tests.conftest import REPO


class Library:
    """The example profiles, the embedded sandbox and a saved plan, used as a library user would."""

    def __init__(self, root: Path) -> None:
        shutil.copytree(REPO / "profiles.d", root / "profiles.d")
        self.root = root
        self.settings = reconcile.load_settings(root)
        self.target = reconcile.resolve_target(self.settings, None, {})
        self.declared = reconcile.load_profiles(root / "profiles.d", phone_region="AU")
        self.journal = Journal.beside(root / "plans" / "release.json")

    def plan(self) -> reconcile.Plan:
        options = reconcile.PlanOptions(
            tenant=self.target.url, owner_handle=self.settings.owner_handle, phone_region="AU"
        )

        async def build() -> reconcile.Plan:
            async with reconcile.OmneoClient.open(self.target) as client:
                return await reconcile.build_plan(self.declared, client, options)

        return asyncio.run(build()).sealed()

    def apply(
        self,
        plan: reconcile.Plan,
        target: reconcile.Target | None = None,
        notices: list[str] | None = None,
        **options: object,
    ) -> reconcile.ApplyResult:
        run = apply_reviewed(
            plan,
            self.declared,
            target or self.target,
            self.journal,
            ApplyOptions.model_validate({**options, "policy": ProjectPolicy.of(self.settings)}),
            on_notice=(notices if notices is not None else []).append,
        )
        return asyncio.run(run)

    def production(self, max_creates: int = 1) -> reconcile.Target:
        return self.target.model_copy(
            update={"name": "prod", "kind": "production", "max_creates": max_creates}
        )

    def journal_lines(self) -> int:
        path = self.journal.path
        return len(path.read_text().splitlines()) if path.exists() else 0


@pytest.fixture
def library(tmp_path: Path) -> Library:
    return Library(tmp_path)


def test_a_production_tenant_refuses_a_plan_over_its_create_limit(library: Library) -> None:
    plan = library.plan()
    assert plan.count("create") > 1

    with pytest.raises(reconcile.UnsafePlanError, match="more than its max_creates of 1"):
        library.apply(plan, library.production())

    assert library.journal_lines() == 0  # refused before anything was journalled or written
    assert library.plan().count("create") == plan.count("create")


def test_force_with_a_reason_passes_the_guard_and_says_so(library: Library) -> None:
    notices: list[str] = []

    result = library.apply(
        library.plan(), library.production(), notices, force=True, reason="launch day"
    )

    assert result.complete
    assert notices == [
        f"tenant 'prod' is a production tenant: this plan creates {len(result.succeeded)} "
        "profiles, more than its max_creates of 1; allowed by --force: launch day"
    ]


def test_a_production_tenant_refuses_bulk_mode(library: Library) -> None:
    with pytest.raises(reconcile.UnsafePlanError, match="bulk mode is for seeding"):
        library.apply(library.plan(), library.production(max_creates=1000), bulk=True)


def test_a_plan_made_for_another_tenant_is_refused(library: Library) -> None:
    planned = library.plan()
    elsewhere = planned.options.model_copy(update={"tenant": "https://api.other.example/api/v3"})
    plan = planned.model_copy(update={"options": elsewhere})

    with pytest.raises(reconcile.PlanError, match=r"made for https://api\.other\.example/api/v3"):
        library.apply(plan)

    assert library.journal_lines() == 0


def test_another_holder_of_the_tenant_lock_refuses_the_apply(library: Library) -> None:
    plan = library.plan()

    async def hold_then_apply() -> None:
        async with reconcile.OmneoClient.open(library.target) as client:
            other = TenantLock(client, "reconcile", holder=Holder.here("plans/other.json"))
            await other.acquire()
            try:
                await apply_reviewed(
                    plan, library.declared, library.target, library.journal,
                    ApplyOptions(policy=ProjectPolicy.of(library.settings)),
                )  # fmt: skip
            finally:
                await other.release()

    with pytest.raises(reconcile.LockError, match=r"the tenant is locked: held by .* plans/other"):
        asyncio.run(hold_then_apply())
    assert library.journal_lines() == 0


def test_an_apply_journals_and_leaves_the_lock_released(library: Library) -> None:
    plan = library.plan()

    result = library.apply(plan)

    assert result.complete and library.journal_lines() > len(plan.changes)

    async def lock_left() -> object:
        async with reconcile.OmneoClient.open(library.target) as client:
            return await read_lock(client, "reconcile")

    assert asyncio.run(lock_left()) is None
    assert not library.plan().changes
