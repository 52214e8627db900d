"""A tenant-level apply lock, recorded on the tenant itself so every machine sees it.

The lock is a profile of type ``system`` holding one identity: handle ``reconcile-lock``,
identifier = the owner handle. Omneo keeps each (handle, identifier) pair on at most one profile,
so creating that profile is the atomic acquisition: the loser of a race gets a 422. The holder,
the plan and the expiry live in one custom attribute (``reconcile.lock``, a JSON string). The
lock profile carries no owner identity, so plans never match it, teardown never lists it and
export skips it. Only documented endpoints are used: create, read by identity, custom attribute
PUT, purge.

A holder refreshes its expiry while it works (a heartbeat every ``ttl / 3``) and purges the lock
when it is done, failed or not. A lock whose expiry has passed, or whose holder ran on this very
machine and is no longer alive, is stale: the next apply takes it over. Anything else waits up to
``timeout`` seconds, then is refused with the holder's name and the expiry.

>>> lock = TenantLock(client, "reconcile", holder=Holder.here("plans/a.json"))  # doctest: +SKIP
>>> async with lock.held():                                                    # doctest: +SKIP
...     await carry_out(...)
"""

from __future__ import annotations

import asyncio
import contextlib
import getpass
import json
import os
import re
import socket
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

from pydantic import BaseModel, ConfigDict, ValidationError

from reconcile.errors import ApiError, LockError
from reconcile.model.fields import JsonValue
from reconcile.tenant.client import OmneoClient

LOCK_HANDLE = "reconcile-lock"
LOCK_NAMESPACE = "reconcile"
LOCK_ATTRIBUTE = "lock"
DEFAULT_TTL = 300.0
Clock = Callable[[], datetime]


def _utcnow() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


class Holder(BaseModel):
    """Who holds (or wants) the lock; ``nonce`` tells this very run apart from any other."""

    model_config = ConfigDict(frozen=True)

    who: str
    host: str
    pid: int
    plan: str
    nonce: str

    @classmethod
    def here(cls, plan: str) -> Holder:
        try:
            user = getpass.getuser()
        except (KeyError, OSError):  # no user name in some containers
            user = "unknown"
        host = socket.gethostname()
        pid = os.getpid()
        return cls(who=f"{user}@{host} (pid {pid})", host=host, pid=pid, plan=plan,
                   nonce=uuid.uuid4().hex)  # fmt: skip


class LockInfo(BaseModel):
    """The lock as the tenant holds it."""

    model_config = ConfigDict(frozen=True)

    profile_id: str
    holder: Holder
    acquired_at: datetime
    expires_at: datetime

    def expired(self, now: datetime) -> bool:
        return now >= self.expires_at

    def holder_is_dead(self) -> bool:
        """True only when the holder ran on this machine and its process is gone."""
        if self.holder.host != socket.gethostname() or self.holder.pid == os.getpid():
            return False
        try:
            os.kill(self.holder.pid, 0)
        except ProcessLookupError:
            return True
        except PermissionError:
            return False
        return False

    def stale(self, now: datetime) -> bool:
        return self.expired(now) or self.holder_is_dead()

    def describe(self) -> str:
        return (
            f"held by {self.holder.who} applying {self.holder.plan} since "
            f"{_stamp(self.acquired_at)}, expires {_stamp(self.expires_at)}"
        )


async def read_lock(client: OmneoClient, owner: str) -> LockInfo | None:
    """The current lock of ``owner``'s profiles on the tenant, or None."""
    found = await client.find_by_identity(LOCK_HANDLE, owner)
    if found is None:
        return None
    raw = found.fields.get(f"custom_attributes.{LOCK_NAMESPACE}.{LOCK_ATTRIBUTE}")
    try:
        record = json.loads(raw) if isinstance(raw, str) else {}
        return LockInfo.model_validate({"profile_id": found.id, **record})
    except (json.JSONDecodeError, ValidationError, TypeError):
        # A lock profile without a readable record (half-written): stale at once.
        unknown = Holder(who="an unknown holder", host="?", pid=0, plan="?", nonce="?")
        epoch = datetime(1970, 1, 1, tzinfo=UTC)
        return LockInfo(profile_id=found.id, holder=unknown, acquired_at=epoch, expires_at=epoch)


async def break_lock(client: OmneoClient, owner: str) -> LockInfo | None:
    """Remove the lock, whoever holds it; returns what it was (None: there was no lock)."""
    current = await read_lock(client, owner)
    if current is not None:
        await _purge(client, current.profile_id)
    return current


async def _purge(client: OmneoClient, profile_id: str) -> None:
    try:
        await client.purge_profile(profile_id)
    except ApiError as exc:
        if exc.status != 404:  # already gone: someone else broke or released it
            raise


class TenantLock:
    """Acquire, hold (with a heartbeat) and release the apply lock of one owner handle."""

    def __init__(
        self,
        client: OmneoClient,
        owner: str,
        *,
        holder: Holder,
        timeout: float = 0.0,
        ttl: float = DEFAULT_TTL,
        poll: float = 1.0,
        clock: Clock = _utcnow,
    ) -> None:
        self.client = client
        self.owner = owner
        self.holder = holder
        self.timeout = timeout
        self.ttl = ttl
        self.poll = poll
        self.clock = clock
        self.info: LockInfo | None = None
        self.taken_over: LockInfo | None = None
        self.lost = False

    @asynccontextmanager
    async def held(self) -> AsyncIterator[LockInfo]:
        """Hold the lock for the body; release it however the body ends."""
        info = await self.acquire()
        beat = asyncio.create_task(self._heartbeat(asyncio.current_task()))
        try:
            yield info
        except asyncio.CancelledError:
            if self.lost:
                raise LockError(
                    f"the apply lock of this tenant was broken while applying {self.holder.plan}; "
                    "the journal records what was done: finish it with `reconcile apply --resume`"
                ) from None
            raise
        finally:
            beat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await beat
            await self.release()

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
                await _purge(self.client, current.profile_id)
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
        """Purge our lock profile (only ours: it is addressed by its id)."""
        if self.info is None:
            return
        with contextlib.suppress(ApiError):  # unreleased, it expires within ``ttl``
            await _purge(self.client, self.info.profile_id)
        self.info = None

    async def refresh(self) -> bool:
        """Push the expiry forward; False when the lock is no longer ours."""
        if self.info is None:
            return False
        record = self._record(self.info.acquired_at)
        try:
            await self.client.put_custom_attribute(
                self.info.profile_id, LOCK_NAMESPACE, LOCK_ATTRIBUTE, "string", record
            )
        except ApiError as exc:
            return exc.status != 404  # any other fault passes: the next beat tries again
        return True

    async def _heartbeat(self, body: asyncio.Task[object] | None) -> None:
        while True:
            await asyncio.sleep(self.ttl / 3)
            if not await self.refresh():
                self.lost = True
                if body is not None:
                    body.cancel()
                return

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
            if exc.status in (401, 403):
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
        return json.dumps(
            {
                "holder": self.holder.model_dump(),
                "acquired_at": _stamp(acquired_at),
                "expires_at": _stamp(expires_at),
            },
            sort_keys=True,
        )


def _lock_email(owner: str) -> str:
    """A fixed, undeliverable address per owner handle (Omneo requires an email on create)."""
    local = re.sub(r"[^a-z0-9._-]", "-", owner.lower()).strip(".") or "owner"
    return f"{LOCK_HANDLE}.{local}@example.com"
