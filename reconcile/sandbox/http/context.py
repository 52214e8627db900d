"""What every route needs: the tenant (config, store), bearer-token checks, the JSON body."""

from __future__ import annotations

import hmac
from dataclasses import dataclass, field
from typing import Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from reconcile.sandbox.config import SandboxConfig
from reconcile.sandbox.jsonio import request_json
from reconcile.sandbox.problems import ApiProblem
from reconcile.sandbox.storage.store import Store

_bearer = HTTPBearer(auto_error=False, description="A sandbox token (see docs/sandbox.md).")


@dataclass
class Tenant:
    """One sandbox tenant: its settings, its store, and caches keyed by the store's version."""

    config: SandboxConfig
    store: Store
    caches: dict[str, Any] = field(default_factory=dict)


def tenant(request: Request) -> Tenant:
    found: Tenant = request.app.state.tenant
    return found


def _scope_of(config: SandboxConfig, token: str) -> str | None:
    granted = None
    for known, scope in config.tokens.items():  # compare with every token: constant time
        if hmac.compare_digest(known.encode(), token.encode()):
            granted = scope
    return granted


def require_read(
    request: Request, credentials: HTTPAuthorizationCredentials | None = Depends(_bearer)
) -> str:
    """401 unless the request carries a known bearer token; returns the token's scope."""
    scope = _scope_of(tenant(request).config, credentials.credentials) if credentials else None
    if scope is None:
        raise ApiProblem(401, headers={"WWW-Authenticate": "Bearer"})
    return scope


def require_write(scope: str = Depends(require_read)) -> str:
    """403 for a token without the write scope."""
    if scope != "write":
        raise ApiProblem(403)
    return scope


async def json_body(request: Request) -> dict[str, Any]:
    """The request's JSON object; malformed JSON or a non-object body is a 400, never a 500, and
    a non-finite number (``NaN``, ``Infinity``) is a 422 naming its field."""
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        body = request_json(raw)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise ApiProblem(400) from None
    if not isinstance(body, dict):
        raise ApiProblem(400, "The request body must be a JSON object.")
    return body
