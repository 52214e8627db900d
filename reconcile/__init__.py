"""reconcile: GitOps for Omneo customer profiles, as a library.

Every command is a method of :class:`Project`, with the command's options and defaults and the
project's ``reconcile.toml``; the CLI is a thin layer over it::

    import reconcile

    project = reconcile.Project(".")          # reconcile.toml, profiles.d/, plans/
    plan = project.plan()                     # saved under plans/, as `reconcile plan` does
    print(project.show(plan))
    print(project.apply(plan).summary())      # checked against the project, locked, journalled

:class:`AsyncProject` has the same methods as coroutines. Applying always checks the plan against
the project and the tenant (tenant, profiles.d/'s digest, ownership, safety, fingerprints) and
holds the tenant's apply lock; nothing in this package applies a plan without those checks.
"""

from reconcile.apply.outcomes import ApplyResult
from reconcile.errors import (
    ApiError,
    ApplyError,
    ConfigError,
    ConflictError,
    LockError,
    OptionError,
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
from reconcile.project import (
    AsyncProject,
    ExportResult,
    LockStatus,
    ProgressEvent,
    Project,
    ValidationResult,
)
from reconcile.report.render import render
from reconcile.settings import Settings, Target, load_settings, resolve_target
from reconcile.tenant.client import OmneoClient

__version__ = "0.1.0"

__all__ = [
    "ApiError",
    "ApplyError",
    "ApplyResult",
    "AsyncProject",
    "Change",
    "ConfigError",
    "Conflict",
    "ConflictError",
    "Declaration",
    "DeclaredProfiles",
    "DesiredProfile",
    "ExportResult",
    "LockError",
    "LockStatus",
    "ObservedProfile",
    "OmneoClient",
    "OptionError",
    "Plan",
    "PlanError",
    "PlanOptions",
    "ProfileError",
    "ProgressEvent",
    "Project",
    "ReconcileError",
    "Settings",
    "StalePlanError",
    "Target",
    "UnsafePlanError",
    "ValidationResult",
    "build_plan",
    "load_profiles",
    "load_settings",
    "render",
    "resolve_target",
]
