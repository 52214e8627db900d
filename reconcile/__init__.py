"""reconcile: GitOps for Omneo customer profiles, as a library.

The CLI is a thin layer over these names; the same pipeline runs from Python::

    import asyncio, os
    from pathlib import Path
    import reconcile

    async def main() -> None:
        settings = reconcile.load_settings(Path("."))
        target = reconcile.resolve_target(settings, None, os.environ)  # the embedded sandbox
        declared = reconcile.load_profiles(Path("profiles.d"), phone_region="AU")
        options = reconcile.PlanOptions(tenant=target.url, owner_handle=settings.owner_handle)
        async with reconcile.OmneoClient.open(target) as client:
            plan = await reconcile.build_plan(declared, client, options)
        print(reconcile.render(plan, "text"))
        journal = reconcile.Journal(Path("plans/api.journal.jsonl"))
        policy = reconcile.ProjectPolicy.of(settings)  # the project's owner handle, thresholds
        result = await reconcile.apply_reviewed(
            plan, declared, target, journal, reconcile.ApplyOptions(policy=policy)
        )
        print(result.summary())

    asyncio.run(main())

``apply_reviewed`` is the one way to apply a plan: it refuses a plan made for another tenant,
enforces a production tenant's guards (``ApplyOptions.force`` and ``reason`` pass them), holds
the tenant's apply lock while it works, and journals every outcome, exactly as ``reconcile apply``
does. Give it the project's ``ProjectPolicy``: a plan file is input, and apply then checks it
against the project (owner handle, thresholds) instead of trusting what the file says.
"""

from reconcile.apply.carry import ApplyOptions
from reconcile.apply.journal import Journal
from reconcile.apply.outcomes import ApplyResult
from reconcile.apply.session import apply_reviewed
from reconcile.apply.trust import ProjectPolicy
from reconcile.errors import (
    ApiError,
    ApplyError,
    ConfigError,
    ConflictError,
    LockError,
    PlanError,
    ProfileError,
    ReconcileError,
    StalePlanError,
    UnsafePlanError,
)
from reconcile.model.declaration import Declaration
from reconcile.model.desired import DesiredProfile
from reconcile.model.observed import ObservedProfile
from reconcile.plan.build import build_plan
from reconcile.plan.options import PlanOptions
from reconcile.plan.value import Change, Conflict, Plan
from reconcile.profiles.loader import DeclaredProfiles, load_profiles
from reconcile.report.render import render
from reconcile.settings import Settings, Target, load_settings, resolve_target
from reconcile.tenant.client import OmneoClient

__version__ = "0.1.0"

__all__ = [
    "ApiError",
    "ApplyError",
    "ApplyOptions",
    "ApplyResult",
    "Change",
    "ConfigError",
    "Conflict",
    "ConflictError",
    "Declaration",
    "DeclaredProfiles",
    "DesiredProfile",
    "Journal",
    "LockError",
    "ObservedProfile",
    "OmneoClient",
    "Plan",
    "PlanError",
    "PlanOptions",
    "ProfileError",
    "ProjectPolicy",
    "ReconcileError",
    "Settings",
    "StalePlanError",
    "Target",
    "UnsafePlanError",
    "apply_reviewed",
    "build_plan",
    "load_profiles",
    "load_settings",
    "render",
    "resolve_target",
]
