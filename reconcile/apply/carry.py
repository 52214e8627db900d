"""Carry out a reviewed plan: verify it, journal beside it, write it (one by one, or in bulk).

``carry_out`` is the engine under :func:`reconcile.apply.session.apply_reviewed`, which checks
the tenant, the production guards and the tenant's lock first: call that one. ``carry_out``
refuses a plan that is stale or needs a flag (``verify.py``), refuses to run a plan twice unless
resuming, and then writes the changes through the per-profile engine (``executor.py``) or, with
creates and adoptions through the batch endpoint (``bulk.py``) when the plan found that cheaper
(``plan.cost``, not on a production tenant) or ``--bulk`` asks for it. Every outcome lands in
``plans/NAME.journal.jsonl``.

>>> journal = Journal.beside(plan_file)                                     # doctest: +SKIP
>>> result = await carry_out(plan, declared, client, journal, ApplyOptions())  # doctest: +SKIP
>>> result.summary()                                                         # doctest: +SKIP
'3 applied, 0 failed, 9 already done'
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from reconcile.apply.bulk import bulk_apply
from reconcile.apply.executor import ProgressCallback, apply_plan
from reconcile.apply.journal import Journal
from reconcile.apply.outcomes import ApplyResult, Outcome
from reconcile.apply.trust import ProjectPolicy
from reconcile.apply.verify import verify_plan
from reconcile.errors import PlanError
from reconcile.plan.value import Plan
from reconcile.profiles.loader import DeclaredProfiles
from reconcile.tenant.client import OmneoClient

__all__ = [
    "ApplyOptions",
    "ApplyResult",
    "Outcome",
    "apply_plan",
    "carry_out",
    "verify_plan",
]


class ApplyOptions(BaseModel):
    """How to apply: the flags of ``reconcile apply``.

    ``force`` applies a plan marked unsafe and, with a ``reason``, passes a production tenant's
    guards; ``lock_timeout`` is how long to wait for another apply's lock on the tenant.
    """

    model_config = ConfigDict(frozen=True)

    allow_delete: bool = False
    allow_purge: bool = False
    force: bool = False
    reason: str | None = None
    lock_timeout: float = Field(default=0.0, ge=0)
    resume: bool = False
    fail_fast: bool = False
    # True: batch creates and adoptions even where one by one is cheaper; False: never batch;
    # None: batch when the plan found it cheaper (not on a production tenant)
    bulk: bool | None = None
    concurrency: int = Field(default=8, ge=1)
    # True: read each changed profile again right before its write; False: one listing per
    # chunk of changes checks them (apply/freshness.py, the window docs/apply.md states)
    strict: bool = False
    # The project's owner handle and thresholds; None trusts the plan's own (see trust.py).
    policy: ProjectPolicy | None = None


async def carry_out(
    plan: Plan,
    declared: DeclaredProfiles,
    client: OmneoClient,
    journal: Journal,
    options: ApplyOptions,
    *,
    on_progress: ProgressCallback | None = None,
) -> ApplyResult:
    """Verify ``plan``, then apply what is left of it, journalling every outcome."""
    state = journal.read(plan.checksum)
    if state.runs and not options.resume:
        raise PlanError(
            f"this plan was already applied ({len(state.succeeded)} changes done, see "
            f"{journal.path}); finish it with `reconcile apply --resume`, or plan again"
        )
    observed = await verify_plan(
        plan,
        declared,
        client,
        allow_delete=options.allow_delete,
        allow_purge=options.allow_purge,
        force=options.force,
        journal=state,
        policy=options.policy,
    )
    batched = batches(plan, client, options)
    journal.start(plan.checksum, "bulk" if batched else "resume" if state.runs else "apply")
    try:
        run = bulk_apply if batched else apply_plan
        return await run(
            plan,
            declared,
            client,
            observed,
            journal=journal,
            state=state,
            concurrency=options.concurrency,
            fail_fast=options.fail_fast,
            on_progress=on_progress,
            strict=options.strict,
        )
    finally:
        journal.close()


def batches(plan: Plan, client: OmneoClient, options: ApplyOptions) -> bool:
    """Whether creates and adoptions go through ``POST /profiles/batch``: as asked (``--bulk``,
    ``--no-bulk``), else when the plan found it cheaper (``plan.cost``) on a tenant that batches
    by default (not a production one)."""
    if options.bulk is not None:
        return options.bulk
    return plan.cost is not None and plan.cost.engine == "batch" and client.batch_by_default
