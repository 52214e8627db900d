"""Run ordered steps concurrently: a step starts once every step it waits for has succeeded.

A step whose prerequisite did not succeed is handed to ``blocked`` instead of being run. With
``fail_fast`` the first failure stops new steps from starting (steps in flight finish), and so
does ``halt()`` once it is true (a stop asked for from outside); the steps never started are
returned.

>>> skipped = await run_steps(steps, execute, blocked, concurrency=8)   # doctest: +SKIP
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence

from reconcile.apply.ordering import Step

Execute = Callable[[Step], Awaitable[bool]]
Blocked = Callable[[Step, list[Step]], None]


async def run_steps(
    steps: Sequence[Step],
    execute: Execute,
    blocked: Blocked,
    *,
    concurrency: int = 8,
    fail_fast: bool = False,
    halt: Callable[[], bool] | None = None,
) -> list[Step]:
    """Run ``steps`` (each ``after`` naming earlier step ids); return those never started."""
    if not steps:
        return []
    by_id = {step.id: step for step in steps}
    waiting = {step.id: set(step.after) for step in steps}
    followers: dict[str, list[str]] = {step.id: [] for step in steps}
    for step in steps:
        for before in step.after:
            followers[before].append(step.id)
    failed_before: dict[str, list[Step]] = {}
    queue: asyncio.Queue[str | None] = asyncio.Queue()
    for step in steps:
        if not step.after:
            queue.put_nowait(step.id)
    skipped: list[Step] = []
    left = len(steps)
    stop = False
    workers = max(1, min(concurrency, len(steps)))

    def finish(step_id: str, ok: bool) -> None:
        nonlocal left
        left -= 1
        for follower in followers[step_id]:
            if not ok:
                failed_before.setdefault(follower, []).append(by_id[step_id])
            waiting[follower].discard(step_id)
            if not waiting[follower]:
                queue.put_nowait(follower)
        if left == 0:
            for _ in range(workers):
                queue.put_nowait(None)

    async def worker() -> None:
        nonlocal stop
        while (step_id := await queue.get()) is not None:
            step = by_id[step_id]
            stop = stop or (halt is not None and halt())
            if stop:
                skipped.append(step)
                finish(step_id, ok=False)
            elif step_id in failed_before:
                blocked(step, failed_before[step_id])
                finish(step_id, ok=False)
            else:
                ok = await execute(step)
                stop = stop or (fail_fast and not ok)
                finish(step_id, ok)

    await asyncio.gather(*(worker() for _ in range(workers)))
    return skipped
