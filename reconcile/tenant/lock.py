"""A tenant-level apply lock, recorded on the tenant itself so every machine sees it.

Creating the lock profile (``lock_record.py`` describes it) is the atomic acquisition: Omneo
keeps each identity on one profile, so the loser of a race gets a 422. Only documented endpoints
are used: create, read by identity, custom attribute PUT, purge.

While the lock is held, every write of the client passes the lock's gate (:meth:`before_write`):
when the last check is older than ``interval`` seconds, one read of the lock (shared by every
writer waiting at that moment) confirms it is still ours. A lock that is broken, taken over,
expired or gone closes the gate: no new write starts, the writes already sent finish, and the
holder ends with :class:`~reconcile.errors.LockLostError` naming who broke it and why. So a run
writes at most ``interval`` seconds (plus one read and the writes in flight) past a break.

A holder also refreshes its expiry (every ``ttl / 3``) and purges the lock when it is done,
failed or not, asking a tenant that does not answer again for up to ``release_patience``
seconds. A lock whose expiry has passed, that was broken, or whose holder ran on this very
machine and is no longer alive, is stale: the next apply takes it over. Anything else waits up to
``timeout`` seconds, then is refused with the holder's name and the expiry.

>>> lock = TenantLock(client, "reconcile", holder=Holder.here("plans/a.json"))  # doctest: +SKIP
>>> async with lock.held():                                                    # doctest: +SKIP
...     await carry_out(...)
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime, timedelta

from reconcile.errors import ApiError, LockError, LockLostError
from reconcile.model.fields import JsonValue
from reconcile.tenant.client import OmneoClient
from reconcile.tenant.lock_record import (
    LOCK_ATTRIBUTE,
    LOCK_HANDLE,
    LOCK_NAMESPACE,
    Ending,
    Holder,
    LockInfo,
    break_lock,
    purge,
    read_lock,
    stamp,
    utcnow,
)
from reconcile.tenant.owners import DEFAULT_OWNER, register_owner
from reconcile.tenant.wire import lock_requests

__all__ = ["CHECK_INTERVAL", "LOCK_HANDLE", "Holder", "LockInfo", "TenantLock", "break_lock",
           "read_lock"]  # fmt: skip

DEFAULT_TTL = 300.0
# How long a release keeps asking a tenant that does not answer, past the client's own retries.
RELEASE_PATIENCE = 60.0
# How old the last check may be when a write starts: the bound on writing past a break. One
# read per interval while writing (none while idle): 1 % of a 50-requests-a-second apply.
CHECK_INTERVAL = 2.0
# How long a check before a write that finds no lock waits before reading again (a takeover's
# purge and create are two requests); no write starts meanwhile, so the bound above holds.
TAKEOVER_PAUSE = 0.5
Clock = Callable[[], datetime]


class TenantLock:
    """Acquire, hold (with a heartbeat and a write gate) and release one owner handle's lock."""

    def __init__(
        self,
        client: OmneoClient,
        owner: str,
        *,
        holder: Holder,
        timeout: float = 0.0,
        ttl: float = DEFAULT_TTL,
        poll: float = 1.0,
        interval: float = CHECK_INTERVAL,
        release_patience: float = RELEASE_PATIENCE,
        clock: Clock = utcnow,
    ) -> None:
        self.client = client
        self.owner = owner
        self.holder = holder
        self.timeout = timeout
        self.ttl = ttl
        self.poll = poll
        self.interval = interval
        self.release_patience = release_patience
        self.clock = clock
        self.info: LockInfo | None = None
        self.taken_over: LockInfo | None = None
        self._replaced: Ending | None = None
        self.lost: str | None = None  # why the lock is no longer ours, once a check found out
        self.unreleased: str | None = None  # why the lock could not be purged at the end
        self.checks = 0
        self._checked_at = 0.0
        self._checking = asyncio.Lock()

    @asynccontextmanager
    async def held(self) -> AsyncIterator[LockInfo]:
        """Hold the lock for the body, its writes gated; release it however the body ends.

        Raises :class:`LockLostError` at the end of a body whose lock was lost meanwhile."""
        info = await self.acquire()
        self._checked_at = time.monotonic()
        beat = asyncio.create_task(self._heartbeat())
        self.client.gate = self
        try:
            if self.owner != DEFAULT_OWNER:  # the default counts as registered everywhere
                with lock_requests():  # bookkeeping of the lock holder: not gated
                    await register_owner(self.client, self.owner)
            yield info
        except LockLostError:  # a write refused at the gate: reported below, as a stop
            if self.lost is None:
                raise
        finally:
            self.client.gate = None
            beat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await beat
            await self.release()
        if self.lost is not None:
            raise LockLostError(f"stopped: {self.lost}")

    # -- the write gate (tenant/wire.py calls it before every write) ------------------------

    @property
    def closed(self) -> bool:
        return self.lost is not None

    async def before_write(self) -> None:
        """Return when a write may start: the lock was confirmed ours within ``interval``."""
        if self.lost is None and time.monotonic() - self._checked_at >= self.interval:
            async with self._checking:  # one read for every writer waiting now
                if self.lost is None and time.monotonic() - self._checked_at >= self.interval:
                    await self.check()
        if self.lost is not None:
            raise LockLostError(f"not written: {self.lost}")

    async def check(self, *, settle: bool = True) -> bool:
        """Read the lock; False (and ``lost`` says why) when it is no longer ours. ``settle``:
        when no lock is found, read again after :data:`TAKEOVER_PAUSE` to learn who broke it."""
        sent = time.monotonic()
        self.checks += 1
        with lock_requests():  # never queued behind the writes waiting for it
            current = await read_lock(self.client, self.owner)
            if current is None and settle:
                # A takeover purges the lock before it writes its own, whose record says who
                # broke ours: look once more, while the writes waiting here stay held.
                await asyncio.sleep(TAKEOVER_PAUSE)
                current = await read_lock(self.client, self.owner)
        self.lost = self.lost or self._why_lost(current)
        if self.lost is None:
            self._checked_at = sent
        return self.lost is None

    def _why_lost(self, current: LockInfo | None) -> str | None:
        plan = f"while applying {self.holder.plan}"
        if current is None:
            return f"the apply lock was removed from the tenant {plan}"
        ours = current.holder.nonce == self.holder.nonce
        # A break is marked on our lock; once another run took the broken lock over, its own
        # record keeps the mark (``previous``), so we still learn who broke it and why.
        ending = current.broken if ours else current.previous
        now = "" if ours else f"; it is now held by {current.holder.who}"
        if ending is not None and ending.holder == self.holder.nonce:
            verb = "broken" if ending.by != current.holder.who else "taken over"
            return f"the apply lock was {verb} {ending.describe()} {plan}{now}"
        if not ours:
            return f"the apply lock was taken by {current.holder.who} {plan}"
        if current.expired(self.clock()):
            return f"the apply lock expired at {stamp(current.expires_at)} {plan}"
        return None

    # -- taking, refreshing and releasing ---------------------------------------------------

    async def acquire(self) -> LockInfo:
        """Take the lock, waiting up to ``timeout`` seconds; :class:`LockError` if still held."""
        deadline = asyncio.get_running_loop().time() + self.timeout
        refusals = 0
        while True:
            await self._create()
            current = await read_lock(self.client, self.owner)
            if current is not None and current.holder.nonce == self.holder.nonce:
                self.info = current
                return current
            if current is None:
                refusals += 1  # refused, yet no lock to read: e.g. a soft-deleted lock profile
                if refusals >= 5:
                    raise LockError(
                        f"could not create the lock profile (identity {LOCK_HANDLE}/"
                        f"{self.owner}) and no lock can be read: check the tenant"
                    )
                continue
            if current.stale(self.clock()):
                self.taken_over = current
                self._replaced = current.broken or Ending(
                    holder=current.holder.nonce,
                    by=self.holder.who,
                    reason="it had expired" if current.expired(self.clock()) else "its holder died",
                    at=self.clock(),
                )
                await purge(self.client, current.profile_id)
                continue
            left = deadline - asyncio.get_running_loop().time()
            if left <= 0:
                raise LockError(
                    f"the tenant is locked: {current.describe()}. Wait and retry, pass "
                    "--lock-timeout SECONDS to wait for it, or if its holder is gone: "
                    "reconcile lock break --reason '...'"
                )
            await asyncio.sleep(min(self.poll, left))

    async def release(self) -> None:
        """Purge our lock profile (only ours: it is addressed by its id).

        A tenant that does not answer (no connection, 5xx) is asked again for up to
        ``release_patience`` seconds: a run whose writes are all done but whose tenant is briefly
        away must not leave its lock behind, where it would hold up every other machine's apply
        until it expires. Past that, or refused, the lock stays (``unreleased`` says why)."""
        if self.info is None:
            return
        deadline = time.monotonic() + self.release_patience
        while True:
            try:
                await purge(self.client, self.info.profile_id)
                break
            except ApiError as exc:
                unanswered = exc.status is None or exc.status >= 500
                left = deadline - time.monotonic()
                if not unanswered or left <= 0:  # unreleased, it expires within ``ttl``
                    self.unreleased = f"{exc}; it expires at {stamp(self.info.expires_at)}"
                    break
                await asyncio.sleep(min(self.poll, left))
        self.info = None

    async def refresh(self) -> bool:
        """Push the expiry forward; False when the lock profile is gone."""
        if self.info is None:
            return False
        record = self._record(self.info.acquired_at)
        try:
            with lock_requests():  # the lock's own write: never refused by its own gate
                await self.client.put_custom_attribute(
                    self.info.profile_id, LOCK_NAMESPACE, LOCK_ATTRIBUTE, "string", record
                )
        except ApiError as exc:
            return exc.status != 404  # any other fault passes: the next beat tries again
        return True

    async def _heartbeat(self) -> None:
        while self.lost is None:
            await asyncio.sleep(self.ttl / 3)
            if not await self.refresh():
                with contextlib.suppress(ApiError):
                    await self.check(settle=False)  # learns who broke it, if anyone
                gone = f"the apply lock was removed while applying {self.holder.plan}"
                self.lost = self.lost or gone

    async def _create(self) -> None:
        payload: dict[str, JsonValue] = {
            "first_name": "reconcile",
            "last_name": "apply lock",
            "email": _lock_email(self.owner),
            "profile_type": "system",
            "identities": [{"handle": LOCK_HANDLE, "identifier": self.owner}],
            "custom_attributes": [
                {
                    "namespace": LOCK_NAMESPACE,
                    "handle": LOCK_ATTRIBUTE,
                    "type": "string",
                    "value": self._record(self.clock()),
                }
            ],
        }
        try:
            created = await self.client.create_profile(payload)
        except ApiError as exc:
            if exc.status == 403:
                raise LockError(
                    "the tenant refused to create the apply lock (POST profiles answered 403): "
                    "the lock is written on the tenant, so apply needs a token that can write "
                    "profiles, not a read-only one"
                ) from None
            if exc.status == 401:
                raise
            # 422: someone holds it; no answer or 5xx: maybe ours. Reading the lock tells.
            return
        if created.fields.get(f"custom_attributes.{LOCK_NAMESPACE}.{LOCK_ATTRIBUTE}") is None:
            # a tenant that takes custom attributes only through their own endpoint
            await self.client.put_custom_attribute(
                created.id, LOCK_NAMESPACE, LOCK_ATTRIBUTE, "string", self._record(self.clock())
            )

    def _record(self, acquired_at: datetime) -> str:
        expires_at = self.clock() + timedelta(seconds=self.ttl)
        record: dict[str, object] = {
            "holder": self.holder.model_dump(),
            "acquired_at": stamp(acquired_at),
            "expires_at": stamp(expires_at),
        }
        if self._replaced is not None:
            record["previous"] = self._replaced.model_dump(mode="json")
        return json.dumps(record, sort_keys=True)


def _lock_email(owner: str) -> str:
    """A fixed, undeliverable address per owner handle (Omneo requires an email on create)."""
    local = re.sub(r"[^a-z0-9._-]", "-", owner.lower()).strip(".") or "owner"
    return f"{LOCK_HANDLE}.{local}@example.com"
