"""The agent's one HTTP port: status page, metrics, health, and the signed webhook.

``POST /webhook`` accepts GitHub's form: the body's HMAC-SHA256 under the shared secret, hex, in
``X-Hub-Signature-256: sha256=<hex>``. A missing or wrong signature is answered 401 and starts
nothing; a ``push`` (or ``ping``) with a good one is answered 202 and, for a push to the watched
branch, starts a cycle of every tenant at once. Without a secret configured the webhook is refused
(403): an unsigned trigger would let anyone on the network make the agent work.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Protocol

from fastapi import FastAPI, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse

from reconcile.watch.page import TenantView, cycle_page, not_found_page, status_page
from reconcile.watch.record import CycleRecord

SIGNATURE_HEADER = "X-Hub-Signature-256"
_MAX_BODY = 5 * 1024 * 1024  # GitHub caps a delivery's payload at 25 MB; a push is far smaller


class AgentView(Protocol):
    """What the web app asks of the agent."""

    source: str
    branch: str | None  # the watched branch; a push to another is ignored
    refresh: int
    webhook_secret: bytes | None

    def tenants(self) -> list[TenantView]: ...

    def cycles(self, limit: int) -> list[CycleRecord]: ...

    def cycle(self, cycle_id: int) -> CycleRecord | None: ...

    def ready(self) -> tuple[bool, list[str]]: ...

    def metrics(self) -> tuple[bytes, str]: ...

    def trigger(self, why: str) -> None: ...

    def webhook_seen(self, outcome: str) -> None: ...


def signature_ok(secret: bytes, body: bytes, header: str | None) -> bool:
    """Whether ``header`` is ``sha256=<hex HMAC of body>`` (compared in constant time)."""
    if not header or not header.startswith("sha256="):
        return False
    expected = hmac.new(secret, body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, header.removeprefix("sha256=").strip().lower())


def create_web_app(agent: AgentView) -> FastAPI:
    app = FastAPI(title="reconcile watch", docs_url=None, redoc_url=None, openapi_url=None)

    @app.get("/", response_class=HTMLResponse)
    def page() -> HTMLResponse:
        body = status_page(agent.source, agent.tenants(), agent.cycles(30), agent.refresh)
        return HTMLResponse(body)

    @app.get("/cycles/{cycle_id}", response_class=HTMLResponse)
    def cycle(cycle_id: int) -> HTMLResponse:
        record = agent.cycle(cycle_id)
        if record is None:
            return HTMLResponse(not_found_page(f"no cycle {cycle_id} (old ones are dropped)"), 404)
        return HTMLResponse(cycle_page(record))

    @app.get("/metrics")
    def metrics() -> Response:
        body, content_type = agent.metrics()
        return Response(body, media_type=content_type)

    @app.get("/healthz", response_class=PlainTextResponse)
    def healthz() -> str:
        return "ok\n"

    @app.get("/readyz")
    def readyz() -> JSONResponse:
        ready, waiting = agent.ready()
        return JSONResponse({"ready": ready, "waiting_for": waiting}, 200 if ready else 503)

    @app.post("/webhook")
    async def webhook(request: Request) -> JSONResponse:
        body = await request.body()
        if agent.webhook_secret is None:
            agent.webhook_seen("refused")
            return JSONResponse({"error": "no webhook secret is configured"}, 403)
        if len(body) > _MAX_BODY or not signature_ok(
            agent.webhook_secret, body, request.headers.get(SIGNATURE_HEADER)
        ):
            agent.webhook_seen("refused")
            return JSONResponse({"error": f"missing or wrong {SIGNATURE_HEADER}"}, 401)
        event = request.headers.get("X-GitHub-Event", "push")
        ref = _pushed_ref(body)
        elsewhere = agent.branch is not None and ref not in (None, f"refs/heads/{agent.branch}")
        if event != "push" or elsewhere:
            agent.webhook_seen("ignored")
            return JSONResponse({"accepted": False, "event": event, "ref": ref}, 202)
        agent.webhook_seen("accepted")
        agent.trigger("webhook push")
        return JSONResponse({"accepted": True}, 202)

    return app


def _pushed_ref(body: bytes) -> str | None:
    """The ``ref`` a push delivery names (``refs/heads/main``), if it names one."""
    try:
        ref = json.loads(body).get("ref")
    except (ValueError, AttributeError):
        return None
    return ref if isinstance(ref, str) else None
