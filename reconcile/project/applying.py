"""How a :class:`~reconcile.project.AsyncProject` applies: the plan, its file, then the gate.

The plan comes from a file, from a :class:`~reconcile.plan.value.Plan` (saved first if this
project has not saved it, so the run has a journal beside it), or is made now. What the plan
records (its tenant, its template variables) is what it is applied with; options given must
agree. Then :func:`reconcile.apply.session.apply_reviewed` takes the tenant's lock, has the gate
(``apply/gate.py``) check the plan against the project's policy and the tenant, and carries it
out. The early ``preflight`` here only refuses sooner (before profiles.d/ is read); the gate runs
it again.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from reconcile.apply.gate import ProjectPolicy, preflight
from reconcile.apply.journal import Journal
from reconcile.apply.outcomes import ApplyResult
from reconcile.apply.progress import Progress
from reconcile.apply.recorded import tenant_for, variables_for
from reconcile.apply.resume import RESUME_FLAGS, resume_command
from reconcile.apply.session import ApplyOptions, apply_reviewed
from reconcile.errors import ConflictError, PlanError, ReconcileError
from reconcile.plan.value import Plan
from reconcile.profiles.loader import DeclaredProfiles
from reconcile.project.config import (
    begin_declared,
    limited,
    new_plan_file,
    option_error,
    plan_options,
)
from reconcile.settings import Target
from reconcile.tenant.lock import Holder

if TYPE_CHECKING:
    from reconcile.project.aio import AsyncProject


class Stop(Protocol):
    """What ``stop`` needs: a ``threading.Event`` (or anything with ``is_set``)."""

    def is_set(self) -> bool: ...


class Request(BaseModel):
    """The options of one apply, as :meth:`AsyncProject.apply` was given them."""

    model_config = ConfigDict(frozen=True)

    tenant: str | None = None
    resume: bool = False
    force: bool = False
    reason: str | None = None
    fail_fast: bool = False
    bulk: bool | None = None
    strict: bool = False
    concurrency: int | None = Field(default=None, ge=1, le=64)
    rps: float | None = Field(default=None, gt=0)
    lock_timeout: float = Field(default=0.0, ge=0)
    allow_delete: bool = False
    allow_purge: bool = False
    variables: dict[str, object] = {}
    out: Path | None = None
    holder: str | None = None

    @classmethod
    def checked(cls, chosen: Mapping[str, object]) -> Request:
        """The options, or an :class:`~reconcile.errors.OptionError` naming a bad one."""
        try:
            return cls.model_validate(chosen)
        except ValidationError as exc:
            raise option_error(exc) from None


@dataclass(frozen=True)
class Hooks:
    """Where an apply reports to: progress, notices, the review and confirmation of a plan made
    now; and the stop it listens to."""

    progress: Callable[[Progress], None] | None
    stop: Stop | None
    review: Callable[[Plan], None] | None
    confirm: Callable[[Plan], bool] | None
    notice: Callable[[str], None]


async def apply(
    project: AsyncProject, given: Plan | Path | None, request: Request, hooks: Hooks
) -> ApplyResult:
    """Apply ``given`` (a plan, a plan file, or None: plan now) to the tenant; see the module."""
    key = project.settings.plan_key(project.env)
    reviewed, tenant, variables = _recorded(project, given, request, key)
    target = limited(project.target(tenant), request.concurrency, request.rps)
    options = _options(project, target, request)
    if reviewed is not None:
        preflight(reviewed, target, options)  # before profiles.d/ is read
        _confirmed(reviewed, hooks)
    # A plan for a selection (a shard) is checked against its share of profiles.d/ and the
    # others' outlines: its changes name only selected keys (check_shape refuses any other).
    selectors = reviewed.options.selectors if reviewed is not None else None
    keep = None if selectors is None or selectors.is_everything else selectors.selects
    declared = begin_declared(project.settings, variables, keep).result()
    if reviewed is None:
        reviewed = await _plan_now(project, target, declared, request, hooks)
        if reviewed is None:
            return ApplyResult(outcomes=())
        preflight(reviewed, target, options)  # a refusal comes before the question, not after
        _confirmed(reviewed, hooks)
    if isinstance(given, Plan | None):
        plan_file = _saved_file(project, reviewed, request.out, target.name)
    else:
        plan_file = Path(given)
    if given is None:
        hooks.notice(f"Saved plan to {plan_file}")
    journal = Journal.beside(plan_file)
    # a plan given as a file was loaded once already: the plan checked above is the one run
    applied = Plan.load(plan_file, key=key) if isinstance(given, Plan | None) else reviewed
    result = await apply_reviewed(
        applied, declared, target, journal, options,
        holder=Holder.here(request.holder or str(plan_file)), on_progress=hooks.progress,
        on_notice=hooks.notice, halt=hooks.stop.is_set if hooks.stop is not None else None,
        resume=resume_command(
            plan_file, **request.model_dump(include=RESUME_FLAGS), tenant=request.tenant,
            root=project.path,
        ),
    )  # fmt: skip
    stopped = hooks.stop is not None and hooks.stop.is_set() and bool(result.not_attempted)
    return result.model_copy(
        update={"plan_file": plan_file, "journal": journal.path, "stopped": stopped}
    )


def _recorded(
    project: AsyncProject, given: Plan | Path | None, request: Request, key: bytes | None
) -> tuple[Plan | None, str | None, dict[str, object]]:
    """The plan given (loaded, if a path), and the tenant and template variables to apply it
    with: the ones it records (options given may only agree with them)."""
    tenant = request.tenant or project.tenant
    if given is None:
        if request.resume:
            raise PlanError(
                "--resume needs the plan file: reconcile apply --resume plans/NAME.json"
            )
        return None, tenant, request.variables
    plan = given if isinstance(given, Plan) else Plan.load(Path(given), key=key)
    return plan, tenant_for(plan, tenant), variables_for(plan, request.variables)


def _confirmed(plan: Plan, hooks: Hooks) -> None:
    """Ask ``confirm``, if given; refuse unless it agrees."""
    if hooks.confirm is not None and not hooks.confirm(plan):
        raise ReconcileError("apply cancelled; nothing was changed")


def _options(project: AsyncProject, target: Target, request: Request) -> ApplyOptions:
    """The request's flags, with the tenant's concurrency and the project's policy."""
    flags = request.model_dump(
        include={"allow_delete", "allow_purge", "force", "reason", "resume", "fail_fast",
                 "bulk", "lock_timeout", "strict"}
    )  # fmt: skip
    policy = ProjectPolicy.of(project.settings)
    return ApplyOptions.model_validate(
        {**flags, "concurrency": target.concurrency, "policy": policy}
    )


async def _plan_now(
    project: AsyncProject,
    target: Target,
    declared: DeclaredProfiles,
    request: Request,
    hooks: Hooks,
) -> Plan | None:
    """The plan made now, shown to ``review``; None when there is nothing to apply."""
    chosen = {"allow_delete": request.allow_delete, "allow_purge": request.allow_purge,
              "variables": request.variables}  # fmt: skip
    options = plan_options(project.settings, target.url, target.name, **chosen)
    # the production guards are the apply's (preflight), asked before the confirmation
    made = await project._made(target, declared, options, None, hooks.notice)
    if hooks.review is not None:
        hooks.review(made)
    if made.conflicts:
        raise ConflictError(f"{len(made.conflicts)} conflicts: resolve them before applying")
    return made if made.has_changes else None


def _saved_file(project: AsyncProject, plan: Plan, out: Path | None, tenant_name: str) -> Path:
    """Where ``plan`` is saved: where this project saved it (if that file still holds it), else
    saved now (at ``out``, or under ``plans/``) so that the run has a journal beside it."""
    key = project.settings.plan_key(project.env)
    known = project.saved(plan)
    if known is not None and out in (None, known) and _holds(known, plan, key):
        return known
    path = out or new_plan_file(project.settings, tenant_name)
    plan.save(path, key=key)
    return path


def _holds(path: Path, plan: Plan, key: bytes | None) -> bool:
    """Whether the plan saved at ``path`` is ``plan`` (another may have been saved over it)."""
    try:
        return Plan.load(path, key=key).checksum == plan.sealed(key).checksum
    except PlanError:
        return False
