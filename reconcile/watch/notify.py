"""Notifications on a tenant's change of state: a small JSON document, and a Slack-compatible one.

:func:`event_for` says whether a cycle changed what people should know (drift appeared or
cleared, cycles started failing or recovered, self-heal wrote changes); :class:`Notifier` POSTs
it to the configured URLs, retried with backoff, in the background. Texts are scrubbed of
anything shaped like an email address or a phone number before they leave the agent.

The JSON document::

    {"tenant": "staging", "event": "drifted", "state": "drifted", "previous": "in sync",
     "commit": "3f2a…", "summary": "drift-only: reported, not written; 0 to create, 1 to update…",
     "error": null, "cycle": 42, "at": "2026-12-06T07:00:00Z"}
"""

from __future__ import annotations

import asyncio
import json
import re
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Literal

from pydantic import BaseModel, ConfigDict

from reconcile.model.mask import mask_value
from reconcile.watch.record import CycleRecord, State

Event = Literal["drifted", "in-sync", "failing", "recovered", "healed"]
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_PHONE = re.compile(r"\+?\d[\d ()-]{7,}\d")


class Notification(BaseModel):
    model_config = ConfigDict(frozen=True)

    tenant: str
    event: Event
    state: State
    previous: State
    commit: str | None
    summary: str
    error: str | None
    cycle: int
    at: str

    def slack(self) -> dict[str, str]:
        """The Slack incoming-webhook form: one ``text`` (Slack's mrkdwn, escaped)."""
        detail = self.error or self.summary
        commit = f" at `{self.commit[:12]}`" if self.commit else ""
        where = f"tenant *{self.tenant}* is {self.state} ({self.event}){commit}"
        text = f"*reconcile watch*: {where}: {detail}"
        return {"text": _slack_escaped(text)}


def event_for(previous: State, state: State, record: CycleRecord) -> Event | None:
    """The event this cycle is, if any: a heal that wrote changes, or a change of state."""
    if record.outcome == "healed" and record.applied:
        return "healed"
    if state == previous or record.outcome in ("skipped", "stopped"):
        return None
    if state == "failing":
        return "failing"
    if previous == "failing":
        return "recovered"
    if state == "drifted":
        return "drifted"
    if previous == "drifted" and state == "in sync":
        return "in-sync"
    return None


def notification(record: CycleRecord, event: Event, state: State, previous: State) -> Notification:
    return Notification(
        tenant=record.tenant,
        event=event,
        state=state,
        previous=previous,
        commit=record.commit,
        summary=scrub(record.summary),
        error=scrub(record.error) if record.error else None,
        cycle=record.id,
        at=record.started_at,
    )


def scrub(text: str) -> str:
    """``text`` with email addresses and phone numbers masked (a free-text error may hold one)."""
    masked = _EMAIL.sub(lambda m: str(mask_value("email", m.group(0))), text)
    return _PHONE.sub(lambda m: m.group(0)[:2] + "***" + m.group(0)[-2:], masked)


class Notifier:
    """Sends notifications to a JSON URL and a Slack URL (either may be unset), in the
    background."""

    def __init__(
        self,
        url: str | None,
        slack_url: str | None,
        *,
        attempts: int = 5,
        first_delay: float = 1.0,
        on_outcome: Callable[[bool], None] = lambda _sent: None,
    ) -> None:
        self.url = url
        self.slack_url = slack_url
        self.attempts = attempts
        self.first_delay = first_delay
        self.on_outcome = on_outcome
        self._tasks: set[asyncio.Task[None]] = set()

    def send(self, note: Notification) -> None:
        """Queue ``note`` for every configured URL (returns at once)."""
        bodies = [(self.url, note.model_dump()), (self.slack_url, note.slack())]
        for url, body in bodies:
            if url:
                task = asyncio.get_running_loop().create_task(self._deliver(url, body))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)

    async def drain(self, timeout: float = 5.0) -> None:
        """Give queued deliveries ``timeout`` seconds to finish (at shutdown)."""
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=timeout)

    async def _deliver(self, url: str, body: object) -> None:
        delay = self.first_delay
        for attempt in range(self.attempts):
            status = await asyncio.to_thread(_post, url, body)
            if status is not None and status < 300:
                self.on_outcome(True)
                return
            if status is not None and 400 <= status < 500 and status != 429:
                break  # refused as sent: sending it again cannot help
            if attempt + 1 < self.attempts:
                await asyncio.sleep(delay)
                delay *= 2
        self.on_outcome(False)


def _post(url: str, body: object) -> int | None:
    """POST ``body`` as JSON; the answer's status, or None when no answer came.

    The standard library's client: a notification is one small POST, and the tenant's HTTP
    client (``tenant/wire.py``) stays the one place that speaks to Omneo."""
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", "User-Agent": "reconcile-watch"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return int(answer.status)
    except urllib.error.HTTPError as exc:
        return exc.code
    except (urllib.error.URLError, OSError, ValueError):
        return None


def _slack_escaped(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
