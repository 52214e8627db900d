"""Write a plan's changes one profile at a time: concurrent, in uniqueness order, journalled.

The engine checks nothing: only ``session.py`` calls it, after the gate admitted the plan.

The changes become steps (``ordering.py``), run by the scheduler (``scheduler.py``) through the
writer (``writes.py``). Each change gets a ``started`` journal line, on disk before its first
write, and an ``ok`` or ``failed`` line when it ends; a failure does not stop unrelated changes
unless ``fail_fast``. Once the client refuses writes (the apply lock was lost:
``tenant/lock.py``), no new change starts; a change whose write was refused fails, and
``--resume`` finishes it.

>>> result = await _apply_plan(plan, declared, client, observed, journal=journal)  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

from reconcile.apply.bodies import TargetProfile
from reconcile.apply.freshness import Freshness, Listed, judge
from reconcile.apply.journal import ChangeEntry, Journal, JournalState
from reconcile.apply.ordering import Step, claims_for, schedule
from reconcile.apply.outcomes import ApplyResult, Outcome
from reconcile.apply.progress import Progress
from reconcile.apply.scheduler import run_steps
from reconcile.apply.writes import Writer
from reconcile.errors import ApiError, LockLostError, ProfileMovedError
from reconcile.model.fields import is_unique_field
from reconcile.model.observed import ObservedProfile
from reconcile.plan.value import Change, Plan
from reconcile.profiles.loader import DeclaredProfiles
from reconcile.tenant.client import OmneoClient

ProgressCallback = Callable[[Progress], None]
_REMOVALS = ("delete", "purge")


async def _apply_plan(
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
    halt: Callable[[], bool] | None = None,
    strict: bool = False,
    listed: Listed | None = None,
) -> ApplyResult:
    """Write every change not already done, in uniqueness order, journalling each outcome.

    Once ``halt()`` is true no further change starts (see ``scheduler.run_steps``).
    ``strict``: read each profile again right before its first write, instead of by pages
    (``freshness.py``); ``listed``: the verification's listing of ``observed``, whose pages
    check the first changes."""
    run = _Run(plan, declared, client, observed, journal, state or JournalState(), on_progress)
    run.fresh = _freshness(run, strict=strict, listed=listed)
    await run.fresh.prepare()  # before the schedule: the steps follow the listing's order
    steps = run.schedule()
    skipped = await run_steps(
        steps,
        run.execute,
        run.blocked,
        concurrency=concurrency,
        fail_fast=fail_fast,
        # a lost apply lock halts it too: the client then refuses every write
        halt=lambda: client.writes_stopped or (halt is not None and halt()),
    )
    not_attempted = tuple(sorted({step.key for step in skipped} - run.finished_keys))
    return ApplyResult(
        outcomes=tuple(sorted(run.outcomes, key=lambda o: o.key)),
        already_done=tuple(sorted(run.state.succeeded)),
        not_attempted=not_attempted,
        api_calls=client.calls,
        retries=client.retries,
        throttled=client.throttled,
        parts=run.writer.parts.describe(),
    )


def _freshness(run: _Run, *, strict: bool, listed: Listed | None) -> Freshness:
    return Freshness(
        run.client,
        run.plan.options.owner_handle,
        baselines=[run.current[key] for key in run.changes if key in run.current],
        managed=run.plan.managed,
        strict=strict,
        listed=listed,
    )


class _Run:
    """The state of one apply run: targets, current profiles, outcomes so far."""

    def __init__(
        self,
        plan: Plan,
        declared: DeclaredProfiles,
        client: OmneoClient,
        observed: dict[str, ObservedProfile],
        journal: Journal | None,
        state: JournalState,
        on_progress: ProgressCallback | None,
    ) -> None:
        self.plan = plan
        self.client = client
        self.writer = Writer(client, owner=plan.options.owner_handle)
        self.current = dict(observed)
        self.journal = journal
        self.state = state
        self.on_progress = on_progress
        self.changes = {c.key: c for c in plan.changes if c.key not in state.succeeded}
        self.desired = declared.by_key()
        self._targets: dict[str, TargetProfile] = {}
        self.fresh = Freshness(client, plan.options.owner_handle, baselines=(), managed=0)
        self.split: set[str] = set()
        self.started: set[str] = set()
        self.outcomes: list[Outcome] = []
        self.finished_keys: set[str] = set()
        self.progress = Progress(total=len(self.changes))

    def target(self, key: str) -> TargetProfile:
        """What the change of ``key`` writes, built when first asked: reviving a declaration
        costs more than sending its write, so it is done as the run goes, not all before it."""
        found = self._targets.get(key)
        if found is None:
            owner = self.plan.options.owner_handle
            found = self._targets[key] = TargetProfile.of(self.desired[key], owner)
        return found

    def schedule(self) -> tuple[Step, ...]:
        claims = []
        for key, change in self.changes.items():
            fields = field_names(change)
            # only the unique values a change writes order it: the others' targets can wait
            unique = key in self.desired and any(is_unique_field(name) for name in fields)
            view = self.target(key).view if unique else {}
            claims.append(claims_for(key, change.action, view, fields, self.current.get(key)))
        planned = schedule(claims)
        self.split = set(planned.split)
        return self._in_listing_order(planned.steps)

    def _in_listing_order(self, steps: tuple[Step, ...]) -> tuple[Step, ...]:
        """The steps in the order the check's listing shows their profiles (the others first,
        in their order), so that each page of it is read again about once (``freshness.py``).
        The scheduler keeps every step's prerequisites whatever the order."""

        def place(step: Step) -> tuple[int, int]:
            observed = self.current.get(step.key)
            found = None if observed is None else self.fresh.position(observed.id)
            return (0, 0) if found is None else (found[0] + 1, found[1])

        return tuple(sorted(steps, key=place))

    async def execute(self, step: Step) -> bool:
        change = self.changes[step.key]
        try:
            # Read again before the change's first write, and before it is journalled as
            # started: a profile that moved is untouched, so a resume finds the plan stale.
            first = change.key not in self.started
            confirmed = None
            if first and self._exists(change):
                confirmed = await self.fresh.confirm(change, self._observed(change))
            await self._start(change)
            if step.phase == "free":
                await self.writer.park(confirmed or self._observed(change), step.parks)
                return True
            profile_id = await self._write(change, confirmed)
        except (ApiError, ProfileMovedError, LockLostError) as exc:
            # The outcome is flushed (a killed process keeps it) and goes to disk with the next
            # change's start or at the end: an outcome lost with the machine leaves the change
            # started, and a resume reads it again and writes only what still differs.
            self._finish(change, change.profile_id, str(exc))
            return False
        self._finish(change, profile_id, None)
        return True

    def blocked(self, step: Step, blockers: list[Step]) -> None:
        """A step whose prerequisite failed is not attempted; its change fails once."""
        change = self.changes[step.key]
        others = sorted({b.key for b in blockers if b.key != step.key})
        if step.key in self.finished_keys or not others:
            return
        self._finish(
            change,
            change.profile_id,
            f"not attempted: waits for {', '.join(others)}, which did not succeed",
        )

    def _exists(self, change: Change) -> bool:
        """Whether the change writes to a profile the tenant holds (everything but a create)."""
        return change.key in self.current

    async def _write(self, change: Change, confirmed: ObservedProfile | None) -> str | None:
        key = change.key
        if change.action == "create" and key not in self.current:
            return (await self.writer.create(self.target(key), field_names(change))).id
        if change.action in _REMOVALS and key not in self.current:
            # resumed, and gone already (its answer was lost): what the removal wanted
            await self._remove(change, change.profile_id or "")
            return change.profile_id
        observed = confirmed or self._observed(change)
        if confirmed is None:  # its free step confirmed it, then changed it: read it again
            observed = await self.client.get_profile(observed.id) or observed
        if change.action in _REMOVALS:
            await self._remove(change, observed.id)
            return observed.id
        if observed.deleted:  # a restore; a resumed one may be live already
            observed = await self._restored(change, observed)
        return (await self.writer.converge(observed, self.target(key), field_names(change))).id

    async def _restored(self, change: Change, observed: ObservedProfile) -> ObservedProfile:
        """Restore the profile; strictly, read it again once it is live (a soft-deleted profile
        cannot be read by id before), else trust the check made before the restore."""
        restored = await self.writer.restore(observed)
        if not self.fresh.strict:
            return restored
        return judge(change, restored, await self.client.get_profile(restored.id))

    async def _remove(self, change: Change, profile_id: str) -> None:
        if change.action == "purge":
            await self.writer.purge(profile_id)
        else:
            await self.writer.delete(profile_id)

    def _observed(self, change: Change) -> ObservedProfile:
        observed = self.current.get(change.key)
        if observed is None:
            raise ApiError(
                "the profile is gone from the tenant",
                status=404,
                method="GET",
                path=f"profiles/{change.profile_id}",
            )
        return observed

    async def _start(self, change: Change) -> None:
        """Journal the change as started, durably, before its first request."""
        if change.key in self.started:
            return
        self.started.add(change.key)
        if self.journal is not None:
            self.journal.record(
                ChangeEntry(
                    key=change.key,
                    action=change.action,
                    profile_id=change.profile_id,
                    status="started",
                    attempt=self.state.attempt(change.key),
                    erasure=change.erasure_reference,
                )
            )
            await self.journal.sync()

    def _finish(self, change: Change, profile_id: str | None, error: str | None) -> None:
        status: Literal["ok", "failed"] = "failed" if error else "ok"
        attempt = self.state.attempt(change.key)
        outcome = Outcome(
            key=change.key,
            action=change.action,
            profile_id=profile_id,
            status=status,
            error=error,
            attempt=attempt,
        )
        self.outcomes.append(outcome)
        self.finished_keys.add(change.key)
        if self.journal is not None:
            entry = ChangeEntry(**outcome.model_dump(), erasure=change.erasure_reference)
            self.journal.record(entry)
        self.progress.note(change.action, ok=error is None)
        if self.on_progress is not None:
            self.on_progress(self.progress)


def field_names(change: Change) -> list[str]:
    return sorted({f.field for f in change.fields})
