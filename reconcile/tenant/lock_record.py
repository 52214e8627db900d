"""The apply lock as the tenant stores it: who holds it, until when, and who broke it.

The lock is a profile of type ``system`` holding one identity: handle ``reconcile-lock``,
identifier = the owner handle (``lock.py`` takes and holds it). Two custom attributes of
namespace ``reconcile`` carry its record, each a JSON string:

- ``lock``: the holder, when it took the lock, its expiry, and ``previous``, what became of the
  lock it replaced (broken, or taken over as stale), so that the run it replaced can learn why;
- ``broken``: written only by ``reconcile lock break`` (:func:`break_lock`), never by the holder,
  so a holder's refresh cannot undo a break. A broken lock is free: the next apply takes it over.

>>> current = await read_lock(client, "reconcile")                     # doctest: +SKIP
>>> await break_lock(client, "reconcile", by="ops@laptop", reason="runner killed")  # doctest: +SKIP
"""

from __future__ import annotations

import getpass
import json
import os
import socket
import uuid
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from reconcile.errors import ApiError
from reconcile.tenant.client import OmneoClient

LOCK_HANDLE = "reconcile-lock"
LOCK_NAMESPACE = "reconcile"
LOCK_ATTRIBUTE = "lock"
BROKEN_ATTRIBUTE = "broken"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def utcnow() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def stamp(moment: datetime) -> str:
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
        host = socket.gethostname()
        pid = os.getpid()
        return cls(who=f"{user_here()}@{host} (pid {pid})", host=host, pid=pid, plan=plan,
                   nonce=uuid.uuid4().hex)  # fmt: skip


def user_here() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no user name in some containers
        return "unknown"


class Ending(BaseModel):
    """How a holder lost the lock: broken by someone (with a reason), or taken over as stale.

    ``holder`` is the nonce of the run that lost it."""

    model_config = ConfigDict(frozen=True)

    holder: str
    by: str
    reason: str
    at: datetime

    def describe(self) -> str:
        return f"by {self.by} at {stamp(self.at)} (reason: {self.reason})"


class LockInfo(BaseModel):
    """The lock as the tenant holds it."""

    model_config = ConfigDict(frozen=True)

    profile_id: str
    holder: Holder
    acquired_at: datetime
    expires_at: datetime
    previous: Ending | None = None
    broken: Ending | None = None

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
        return self.broken is not None or self.expired(now) or self.holder_is_dead()

    def describe(self) -> str:
        held = (
            f"held by {self.holder.who} applying {self.holder.plan} since "
            f"{stamp(self.acquired_at)}, expires {stamp(self.expires_at)}"
        )
        if self.broken is not None:
            return f"{held}; broken {self.broken.describe()}: the next apply takes it over"
        return held


async def read_lock(client: OmneoClient, owner: str) -> LockInfo | None:
    """The current lock of ``owner``'s profiles on the tenant, or None (one request)."""
    found = await client.find_by_identity(LOCK_HANDLE, owner)
    if found is None:
        return None
    record = _record(found.fields.get(f"custom_attributes.{LOCK_NAMESPACE}.{LOCK_ATTRIBUTE}"))
    broken = _record(found.fields.get(f"custom_attributes.{LOCK_NAMESPACE}.{BROKEN_ATTRIBUTE}"))
    try:
        ending = Ending.model_validate(broken) if broken else None
    except ValidationError:
        ending = Ending(holder="?", by="someone", reason="unreadable record", at=_EPOCH)
    try:
        return LockInfo.model_validate({**record, "profile_id": found.id, "broken": ending})
    except ValidationError:
        # A lock profile without a readable record (half-written): stale at once.
        unknown = Holder(who="an unknown holder", host="?", pid=0, plan="?", nonce="?")
        return LockInfo(profile_id=found.id, holder=unknown, acquired_at=_EPOCH, expires_at=_EPOCH)


def _record(raw: object) -> dict[str, Any]:
    try:
        record = json.loads(raw) if isinstance(raw, str) else {}
    except json.JSONDecodeError:
        return {}
    return record if isinstance(record, dict) else {}


async def break_lock(
    client: OmneoClient, owner: str, *, reason: str, by: str | None = None
) -> LockInfo | None:
    """Mark the lock broken, whoever holds it; returns what it was (None: there was no lock).

    The holder sees the mark at its next check and stops writing; the next apply takes the lock
    over. ``by`` names who broke it (default: this user and machine).
    """
    current = await read_lock(client, owner)
    if current is None:
        return None
    ending = Ending(
        holder=current.holder.nonce,
        by=by or f"{user_here()}@{socket.gethostname()}",
        reason=reason,
        at=utcnow(),
    )
    value = ending.model_dump_json()
    try:
        await client.put_custom_attribute(
            current.profile_id, LOCK_NAMESPACE, BROKEN_ATTRIBUTE, "string", value
        )
    except ApiError as exc:
        if exc.status == 404:  # released (or taken over) meanwhile
            return None
        raise
    return current


async def purge(client: OmneoClient, profile_id: str) -> None:
    try:
        await client.purge_profile(profile_id)
    except ApiError as exc:
        if exc.status != 404:  # already gone: someone else released or took it over
            raise
