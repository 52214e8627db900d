"""Bulk mode for seeding: creates and adoptions through ``POST /profiles/batch``, then a check.

Omneo queues batches and reports no per-item results, so the truth is the tenant afterwards:
after the batches finish (``GET /batches/{id}``), the plan is made again and every profile that
still needs a create or an adoption is reported as not landed.

- Items go in chunks of at most 500 with ``match_criteria`` = the owner handle, so sending a
  chunk twice (a retry, a resume) matches the profiles the first one made: never a duplicate.
- An adoption first gets its owner identity through the identity endpoint (the batch could not
  match the profile otherwise), then its fields through the batch.
- Updates, deletes and purges in the same plan go through the per-profile engine first.

>>> result = await _bulk_apply(plan, declared, client, observed, journal=journal)  # doctest: +SKIP
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence

from reconcile.apply.bodies import TargetProfile, batch_item
from reconcile.apply.executor import ProgressCallback, _apply_plan
from reconcile.apply.journal import ChangeEntry, Journal, JournalState
from reconcile.apply.outcomes import ApplyResult, Outcome
from reconcile.apply.progress import Progress
from reconcile.apply.writes import Writer
from reconcile.errors import ApiError
from reconcile.model.observed import ObservedProfile
from reconcile.plan.build import build_plan
from reconcile.plan.cost import BATCH_SIZE
from reconcile.plan.value import Change, Plan
from reconcile.profiles.loader import DeclaredProfiles
from reconcile.tenant.client import OmneoClient

SEEDED = ("create", "adopt")


async def _bulk_apply(
    plan: Plan,
    declared: DeclaredProfiles,
    client: OmneoClient,
    observed: dict[str, ObservedProfile],
    *,
    journal: Journal | None = None,
    state: JournalState | None = None,
    concurrency: int = 8,
    fail_fast: bool = False,
    on_progress: ProgressCallback | None = None,
    wait_timeout: float = 600.0,
    halt: Callable[[], bool] | None = None,
    strict: bool = False,
) -> ApplyResult:
    """Apply ``plan`` with its creates and adoptions batched; verify by planning again.

    Once ``halt()`` is true no further change starts: the batches are not sent.
    ``strict``: the other changes are read again right before each write (``freshness.py``)."""
    state = state or JournalState()
    pending = [c for c in plan.changes if c.key not in state.succeeded]
    progress = Progress(total=len(pending))
    others = plan.model_copy(
        update={"changes": tuple(c for c in pending if c.action not in SEEDED)}
    )
    first = await _apply_plan(
        others,
        declared,
        client,
        observed,
        journal=journal,
        state=state,
        concurrency=concurrency,
        fail_fast=fail_fast,
        halt=halt,
        strict=strict,
    )
    if fail_fast and not first.complete:
        return first
    seeded = [c for c in pending if c.action in SEEDED]
    if halt is not None and halt():
        left = sorted({*first.not_attempted, *(c.key for c in seeded)})
        return first.model_copy(update={"not_attempted": tuple(left)})
    desired = declared.by_key()
    targets = {c.key: TargetProfile.of(desired[c.key], plan.options.owner_handle) for c in seeded}
    if journal is not None and seeded:
        journal.record(*(_entry(c, "started", None, state) for c in seeded))
        await journal.sync()
    adopted = await _own_adoptions(
        seeded, targets, observed, client, plan.options.owner_handle, state
    )
    not_owned = [o for o in adopted if o.status == "failed"]
    if journal is not None and not_owned:
        journal.record(*(ChangeEntry(**o.model_dump()) for o in not_owned))
    batched = [c for c in seeded if c.key not in {o.key for o in not_owned}]
    batch_ids, errors = await _send_batches(batched, targets, client, plan.options.owner_handle)
    errors.update(await _wait(client, batch_ids, wait_timeout))
    landed = await _verify(plan, declared, client, batched, errors, state)
    if journal is not None and landed:
        journal.record(*(ChangeEntry(**o.model_dump()) for o in landed))
        await journal.sync()
    outcomes = [*first.outcomes, *not_owned, *landed]
    if on_progress is not None:
        for outcome in outcomes:
            progress.note(outcome.action, ok=outcome.status == "ok")
        on_progress(progress)
    return ApplyResult(
        outcomes=tuple(sorted(outcomes, key=lambda o: o.key)),
        already_done=tuple(sorted(state.succeeded)),
        api_calls=client.calls,
        retries=client.retries,
        throttled=client.throttled,
    )


async def _own_adoptions(
    seeded: Sequence[Change],
    targets: dict[str, TargetProfile],
    observed: dict[str, ObservedProfile],
    client: OmneoClient,
    owner: str,
    state: JournalState,
) -> list[Outcome]:
    """Give each adopted profile its owner identity, so that the batch matches it."""
    writer = Writer(client, owner=owner)
    owner_field = [f"identities.{owner}"]
    semaphore = asyncio.Semaphore(8)

    async def own(change: Change) -> Outcome:
        async with semaphore:
            try:
                await writer.converge(observed[change.key], targets[change.key], owner_field)
            except ApiError as exc:
                return _outcome(change, "failed", change.profile_id, str(exc), state)
            return _outcome(change, "ok", change.profile_id, None, state)

    return list(await asyncio.gather(*(own(c) for c in seeded if c.action == "adopt")))


async def _send_batches(
    changes: Sequence[Change],
    targets: dict[str, TargetProfile],
    client: OmneoClient,
    owner: str,
) -> tuple[list[str], dict[str, str]]:
    """Queue the chunks; returns the batch ids to wait for and the errors of refused chunks."""
    batch_ids: list[str] = []
    errors: dict[str, str] = {}
    for start in range(0, len(changes), BATCH_SIZE):
        chunk = changes[start : start + BATCH_SIZE]
        items = [batch_item(targets[c.key]) for c in chunk]
        try:
            batch_id = await client.submit_batch(owner, items)
        except ApiError as exc:
            errors.update({change.key: str(exc) for change in chunk})
            continue
        if batch_id is not None:
            batch_ids.append(batch_id)
    return batch_ids, errors


async def _wait(client: OmneoClient, batch_ids: list[str], timeout: float) -> dict[str, str]:
    """Poll each batch until it has processed every item (or the timeout passes).

    Returns the errors of failed items, by the item's ``external_id`` (its owner identifier).
    """
    deadline = time.monotonic() + timeout
    errors: dict[str, str] = {}
    for batch_id in batch_ids:
        delay = 0.05
        while True:
            batch = await client.get_batch(batch_id)
            if batch.finished or time.monotonic() >= deadline:
                break
            await asyncio.sleep(delay)
            delay = min(2.0, delay * 2)
        errors.update({key: f"the batch refused it: {why}" for key, why in batch.failed().items()})
    return errors


async def _verify(
    plan: Plan,
    declared: DeclaredProfiles,
    client: OmneoClient,
    batched: Sequence[Change],
    errors: dict[str, str],
    state: JournalState,
) -> list[Outcome]:
    """Plan again, exactly the plan's selection with its flags: a batched profile that the new
    plan still changes did not land as declared."""
    again = await build_plan(declared, client, plan.options)
    still = {c.key: c for c in again.changes}
    conflicted = {k for c in again.conflicts for k in c.keys}
    owned = {
        o.identifier: o.profile.id for o in await client.list_identities(plan.options.owner_handle)
    }
    outcomes = []
    for change in batched:
        profile_id = owned.get(change.key)
        why = errors.get(change.key) or _not_landed(still.get(change.key), change.key in conflicted)
        outcomes.append(_outcome(change, "failed" if why else "ok", profile_id, why, state))
    return outcomes


def _not_landed(change: Change | None, conflicted: bool) -> str | None:
    if conflicted:
        return "did not land: the profile is now in a conflict (see `reconcile plan`)"
    if change is None:
        return None
    if change.action in SEEDED:
        return "did not land: the batch did not make or match the profile"
    fields = ", ".join(sorted({f.field for f in change.fields}))
    return f"landed, but these fields differ from profiles.d/: {fields}"


def _outcome(
    change: Change, status: str, profile_id: str | None, error: str | None, state: JournalState
) -> Outcome:
    return Outcome.model_validate(
        {
            "key": change.key,
            "action": change.action,
            "profile_id": profile_id,
            "status": status,
            "error": error,
            "attempt": state.attempt(change.key),
        }
    )


def _entry(change: Change, status: str, error: str | None, state: JournalState) -> ChangeEntry:
    return ChangeEntry.model_validate(
        {
            "key": change.key,
            "action": change.action,
            "profile_id": change.profile_id,
            "status": status,
            "error": error,
            "attempt": state.attempt(change.key),
        }
    )
