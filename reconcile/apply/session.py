"""Apply a reviewed plan to a tenant: the gate, the lock, the journal, then an engine.

:func:`apply_reviewed` is what :meth:`reconcile.Project.apply` runs (and through it ``reconcile
apply`` and ``reconcile teardown``). In order, it:

1. runs the gate's early checks (``gate.preflight``: the plan's tenant, the production guards);
2. opens a client to the tenant and takes its apply lock (``tenant/lock.py``), refreshed while it
   works and released however the run ends;
3. refuses to run a plan twice unless resuming (the journal says what ran);
4. admits the plan through the gate (``gate.admit``: every check, against the project and the
   tenant, with the project's :class:`~reconcile.apply.gate.ProjectPolicy`, which is required);
5. writes the changes through the per-profile engine (``executor.py``) or, with creates and
   adoptions through the batch endpoint (``bulk.py``) when the plan found that cheaper
   (``plan.cost``, not on a production tenant) or ``bulk`` asks for it, journalling every outcome
   in ``plans/NAME.journal.jsonl``.

The engines are not called from anywhere else. The library never prints: what a person should
hear about (a production guard passed with ``force``, a stale lock taken over) goes to
``on_notice``.

>>> options = ApplyOptions(policy=ProjectPolicy.of(settings), allow_delete=True)  # doctest: +SKIP
>>> result = await apply_reviewed(plan, declared, target, journal, options)      # doctest: +SKIP
>>> result.summary()                                                              # doctest: +SKIP
'12 applied, 0 failed'
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from pydantic import Field

from reconcile.apply.bulk import _bulk_apply
from reconcile.apply.executor import ProgressCallback, _apply_plan
from reconcile.apply.gate import Allowed, ProjectPolicy, admit, preflight
from reconcile.apply.journal import Journal
from reconcile.apply.outcomes import ApplyResult
from reconcile.apply.resume import RESUME_FLAGS, resume_command
from reconcile.errors import LockLostError, PlanError
from reconcile.plan.value import Plan
from reconcile.profiles.loader import DeclaredProfiles
from reconcile.settings import ENV_TENANT, LOCAL_TENANT, Target
from reconcile.tenant.client import OmneoClient
from reconcile.tenant.lock import Holder, TenantLock

Notice = Callable[[str], None]
Halt = Callable[[], bool]

__all__ = ["ApplyOptions", "Notice", "apply_reviewed"]


class ApplyOptions(Allowed):
    """How to apply: the flags of ``reconcile apply``, and the project's policy (required: the
    plan is checked against what the project says, never against what the file says).

    ``lock_timeout`` is how long to wait for another apply's lock on the tenant.
    """

    policy: ProjectPolicy
    lock_timeout: float = Field(default=0.0, ge=0)
    resume: bool = False
    fail_fast: bool = False
    concurrency: int = Field(default=8, ge=1)
    # True: read each changed profile again right before its write; False: pages of one listing
    # of the owner handle check them (apply/freshness.py, the window docs/apply.md states)
    strict: bool = False


async def apply_reviewed(
    plan: Plan,
    declared: DeclaredProfiles,
    target: Target,
    journal: Journal,
    options: ApplyOptions,
    *,
    holder: Holder | None = None,
    on_progress: ProgressCallback | None = None,
    on_notice: Notice | None = None,
    halt: Halt | None = None,
    resume: str | None = None,
) -> ApplyResult:
    """Check, lock, admit and carry out ``plan`` on ``target``; see the module docstring.

    ``holder`` names this run in the tenant's lock (default: this process, applying the
    journal's plan). Once ``halt()`` is true, no further change starts (those in flight finish);
    the changes not started are in the result's ``not_attempted``. ``resume`` is the command
    that finishes an interrupted run, as the caller's users type it, for the error of a run
    stopped by a broken lock (default: ``reconcile apply --resume PLAN`` with this run's flags,
    ``apply/resume.py``).
    """
    tell = on_notice or (lambda _note: None)
    for note in preflight(plan, target, options):
        tell(note)
    async with OmneoClient.open(target) as client:
        try:
            return await _locked(
                plan, declared, client, target, journal, options,
                holder=holder, on_progress=on_progress, on_notice=tell, halt=halt,
            )  # fmt: skip
        except LockLostError as lost:  # what was done, and the command that finishes it
            done = len(journal.read(plan.checksum).succeeded)
            resume = resume or resume_command(
                journal.plan_file, **options.model_dump(include=RESUME_FLAGS),
                tenant=None if target.name in (LOCAL_TENANT, ENV_TENANT) else target.name,
            )  # fmt: skip
            raise LockLostError(
                f"{lost}; {done} of {len(plan.changes)} changes done, recorded in "
                f"{journal.path}: finish with `{resume}`"
            ) from None


async def _locked(
    plan: Plan,
    declared: DeclaredProfiles,
    client: OmneoClient,
    target: Target,
    journal: Journal,
    options: ApplyOptions,
    *,
    holder: Holder | None = None,
    on_progress: ProgressCallback | None = None,
    on_notice: Notice,
    halt: Halt | None = None,
) -> ApplyResult:
    """Carry out ``plan`` through an open client to ``target`` while holding its apply lock."""
    who = holder or Holder.here(str(journal.plan_file))
    lock = TenantLock(client, options.policy.owner_handle, holder=who,
                      timeout=options.lock_timeout)  # fmt: skip
    async with _told_if_left(lock, on_notice), lock.held():
        if lock.taken_over is not None:
            on_notice(f"Took over a stale apply lock ({lock.taken_over.describe()})")
        state = journal.read(plan.checksum)
        if state.runs and not options.resume:
            raise PlanError(
                f"this plan was already applied ({len(state.succeeded)} changes done, see "
                f"{journal.path}); finish it with `reconcile apply --resume`, or plan again"
            )
        admitted = await admit(
            plan, declared, client, target, options.policy, options, journal=state
        )
        observed = admitted.observed
        batched = _batches(plan, client, options)
        journal.start(plan.checksum, "bulk" if batched else "resume" if state.runs else "apply")
        try:
            if batched:
                return await _bulk_apply(
                    plan, declared, client, observed, journal=journal, state=state,
                    concurrency=options.concurrency, fail_fast=options.fail_fast,
                    on_progress=on_progress, halt=halt, strict=options.strict,
                )  # fmt: skip
            return await _apply_plan(
                plan, declared, client, observed, journal=journal, state=state,
                concurrency=options.concurrency, fail_fast=options.fail_fast,
                on_progress=on_progress, halt=halt, strict=options.strict,
                listed=admitted.listed,
            )  # fmt: skip
        finally:
            journal.close()


@asynccontextmanager
async def _told_if_left(lock: TenantLock, on_notice: Notice) -> AsyncIterator[None]:
    """Tell (once the lock is released, however the run ends) when its purge failed."""
    try:
        yield
    finally:
        if lock.unreleased is not None:
            on_notice(
                f"The apply lock was left on the tenant ({lock.unreleased}): the next apply "
                "from this machine takes it over; elsewhere, wait for it to expire or run "
                "`reconcile lock break --reason '...'`"
            )


def _batches(plan: Plan, client: OmneoClient, options: ApplyOptions) -> bool:
    """Whether creates and adoptions go through ``POST /profiles/batch``: as asked (``--bulk``,
    ``--no-bulk``), else when the plan found it cheaper (``plan.cost``) on a tenant that batches
    by default (not a production one)."""
    if options.bulk is not None:
        return options.bulk
    return plan.cost is not None and plan.cost.engine == "batch" and client.batch_by_default
