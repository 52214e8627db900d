"""The shards' plans as one: :func:`merge_plans`, for one review and one exit code in CI.

A tenant planned in shards (``reconcile plan --shard I/N`` in a CI matrix) gives N plan files;
each is applied on its own, but a reviewer wants one comment and the pipeline one verdict. The
merged plan holds every shard's changes, withheld removals and conflicts (a conflict that several
shards see, a tenant profile matched from two shards, once), the totals summed, and the apply
cost of all shards together (they share the tenant's rate limit). It is for showing only: it has
no checksum, so it can be neither saved as a plan nor applied.

>>> merged = merge_plans([Plan.load(p) for p in sorted(Path("plans").glob("shard-*.json"))])
...                                                                     # doctest: +SKIP
>>> merged.summary()                                                    # doctest: +SKIP
'3 to create, 0 to adopt, 12 to update, 0 to delete, 0 to purge, 0 conflicts, 99985 unchanged'
"""

from __future__ import annotations

from collections.abc import Sequence

from reconcile.errors import PlanError
from reconcile.plan.cost import MAX_REQUESTS, ApplyCost
from reconcile.plan.selectors import parse_shard
from reconcile.plan.value import MAX_COUNT, Conflict, Plan

__all__ = ["merge_plans"]


def merge_plans(plans: Sequence[Plan]) -> Plan:
    """One plan from the plans of every shard of one selection (one plan: itself).

    Raises :class:`PlanError` when they are not the N shards of one plan: another tenant, tree
    or flag, a shard missing or given twice.
    """
    if not plans:
        raise PlanError("no plan to show: name one plan file, or every shard's")
    if len(plans) == 1:
        return plans[0]
    first = plans[0]
    _check_shards(plans)
    conflicts: dict[str, Conflict] = {}
    for plan in plans:
        for conflict in plan.conflicts:
            conflicts.setdefault(conflict.model_dump_json(), conflict)
    selectors = first.options.selectors.model_copy(update={"shard": None})
    merged = Plan(
        options=first.options.model_copy(update={"selectors": selectors}),
        inputs_digest=first.inputs_digest,
        changes=tuple(change for plan in plans for change in plan.changes),
        conflicts=tuple(conflicts.values()),
        withheld=tuple(withheld for plan in plans for withheld in plan.withheld),
        managed=min(MAX_COUNT, sum(plan.managed for plan in plans)),
        unchanged=min(MAX_COUNT, sum(plan.unchanged for plan in plans)),
        unsafe=tuple(dict.fromkeys(reason for plan in plans for reason in plan.unsafe)),
        api_calls=min(MAX_COUNT, sum(plan.api_calls for plan in plans)),
        cost=_cost(plans),
    )
    return merged.ordered()


def _check_shards(plans: Sequence[Plan]) -> None:
    first = plans[0]
    unsharded = first.options.selectors.model_copy(update={"shard": None})
    counts: set[int] = set()
    seen: dict[int, int] = {}
    for number, plan in enumerate(plans, 1):
        options = plan.options
        if options.selectors.shard is None:
            raise PlanError(
                f"plan {number} is not a shard's plan (no --shard): show it on its own, or "
                "show the plans of every shard of one --shard I/N run"
            )
        if options.model_copy(update={"selectors": unsharded}) != first.options.model_copy(
            update={"selectors": unsharded}
        ):
            raise PlanError(
                f"plan {number} was made for another tenant or with other flags than plan 1: "
                "merge only the shards of one plan command"
            )
        if plan.inputs_digest != first.inputs_digest:
            raise PlanError(
                f"plan {number} was made from another profiles.d/ (or other template "
                "variables) than plan 1: plan every shard from the same commit"
            )
        index, count = parse_shard(options.selectors.shard)
        counts.add(count)
        if index in seen:
            raise PlanError(f"plans {seen[index]} and {number} are both shard {index}/{count}")
        seen[index] = number
    if len(counts) != 1:
        raise PlanError("the plans split the keys into different numbers of shards (I/N)")
    (count,) = counts
    if missing := [str(i) for i in range(1, count + 1) if i not in seen]:
        raise PlanError(
            f"shard {', '.join(missing)} of {count} missing: a review of some shards would "
            "hide the others' changes; pass every shard's plan"
        )


def _cost(plans: Sequence[Plan]) -> ApplyCost | None:
    """The shards' costs together: they are applied against one tenant and its one rate."""
    costs = [plan.cost for plan in plans if plan.cost is not None]
    if not costs:
        return None
    return ApplyCost(
        requests=min(MAX_REQUESTS, sum(cost.requests for cost in costs)),
        rps=costs[0].rps,
        engine="batch" if any(cost.engine == "batch" for cost in costs) else "per-profile",
        one_by_one=min(MAX_REQUESTS, sum(cost.one_by_one for cost in costs)),
    )
