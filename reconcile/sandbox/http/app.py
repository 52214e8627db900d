"""Assemble the sandbox's ASGI application: routes under ``/api/v3``, error rendering, faults."""

from __future__ import annotations

import threading
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp

from reconcile.sandbox.config import SandboxConfig
from reconcile.sandbox.http.bodylimit import BodyLimit
from reconcile.sandbox.http.context import Tenant
from reconcile.sandbox.http.faults import Faults
from reconcile.sandbox.http.openapi import finish
from reconcile.sandbox.http.style import SdkStyle
from reconcile.sandbox.problems import MESSAGES, ApiProblem
from reconcile.sandbox.routes import (
    addresses,
    appearance,
    attributes,
    bulk,
    comms,
    dates,
    identities,
    profiles,
)
from reconcile.sandbox.storage.store import Store

PREFIX = "/api/v3"
_BUILD_LOCK = threading.Lock()
_PYDANTIC_MESSAGES = {
    "missing": "The {field} field is required.",
    "int_parsing": "The {field} must be an integer.",
    "int_type": "The {field} must be an integer.",
    "string_type": "The {field} must be a string.",
}


def create_app(config: SandboxConfig) -> ASGIApp:
    """The sandbox tenant of ``config`` as an ASGI app (FastAPI wrapped in the fault injector)."""
    api = FastAPI(
        title="reconcile sandbox: Omneo Profiles API v3",
        version="3",
        openapi_url=f"{PREFIX}/openapi.json",
        docs_url=f"{PREFIX}/docs",
        redoc_url=None,
    )
    api.state.tenant = Tenant(config=config, store=Store(config.db_path))
    routers = (
        appearance,
        attributes,
        comms,
        dates,
        profiles,
        identities,
        addresses,
        bulk,
    )
    for module in routers:
        api.include_router(module.router, prefix=PREFIX)
    # Paths without parameters: only there is a 405 (a served path, another method) right.
    literal = frozenset(
        PREFIX + path
        for module in routers
        for route in module.router.routes
        if "{" not in (path := str(getattr(route, "path", "{")))
    )
    _install_error_handlers(api, literal)
    _install_openapi(api)
    _build_routes(api)
    styled: ASGIApp = SdkStyle(api, api.state.tenant.store) if config.answer_style == "sdk" else api
    app = Faults(BodyLimit(styled), config)
    app.state = api.state  # type: ignore[attr-defined]
    return app


def _build_routes(api: FastAPI) -> None:
    """Build every route's request handling now, in the creating thread.

    FastAPI builds it lazily on a route's first request, and that build is not thread-safe across
    apps sharing routers: two sandboxes served from one process (threads) raced on it. The hooks
    are FastAPI internals, so a FastAPI without them is simply left to build lazily.
    """
    with _BUILD_LOCK:
        for route in api.router.routes:
            for name in ("effective_candidates", "effective_low_priority_routes"):
                build = getattr(route, name, None)
                if callable(build):
                    build()


def _install_error_handlers(api: FastAPI, literal: frozenset[str]) -> None:
    @api.exception_handler(ApiProblem)
    async def problem(request: Request, exc: ApiProblem) -> JSONResponse:
        return JSONResponse(exc.body(), status_code=exc.status, headers=exc.headers)

    @api.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors: dict[str, list[str]] = {}
        for error in exc.errors():
            loc = [
                str(part) for part in error.get("loc", ()) if part not in ("body", "query", "path")
            ]
            field = ".".join(loc).replace("[", ".").replace("]", "") or "request"
            template = _PYDANTIC_MESSAGES.get(str(error.get("type")), "The {field} is invalid.")
            errors.setdefault(field, []).append(template.format(field=field.replace("_", " ")))
        return JSONResponse({"message": MESSAGES[422], "errors": errors}, status_code=422)

    @api.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        status = exc.status_code
        if status == 405 and request.url.path not in literal:
            # POST /profiles/merge matched /profiles/{profile_id} (GET, PUT, DELETE): a route
            # the sandbox does not serve, so 404 like every other (docs/errors.md).
            return JSONResponse({"message": MESSAGES[404]}, status_code=404)
        message = MESSAGES.get(status, str(exc.detail))
        return JSONResponse({"message": message}, status_code=status, headers=exc.headers)


def _install_openapi(api: FastAPI) -> None:
    original = api.openapi

    def openapi() -> dict[str, Any]:
        if api.openapi_schema is None:
            api.openapi_schema = finish(original())
        return api.openapi_schema

    api.openapi = openapi  # type: ignore[method-assign]
