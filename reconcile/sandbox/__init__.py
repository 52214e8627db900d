"""The embedded sandbox: an Omneo-compatible Profiles API v3 served from SQLite.

>>> from pathlib import Path
>>> app = create_app(SandboxConfig(db_path=Path("/tmp/sandbox-doctest.db")))

Use it in process through ``httpx.ASGITransport(app=app)`` or over HTTP with :func:`serve`.
See ``docs/sandbox.md`` for its behaviour and the choices made where Omneo's docs are silent.

Modules:

- The HTTP layer: ``app`` (the ASGI application), ``server`` (uvicorn), ``config``, ``access``
  (tokens), ``context`` (what every route needs), ``bodylimit``, ``faults``, ``jsonio``,
  ``problems`` (error answers), ``pagination``, ``openapi``, ``openapi_params``,
  ``openapi_links``.
- The routes: ``routes_profiles``, ``routes_identities``, ``routes_attributes``,
  ``routes_addresses``, ``routes_comms``, ``routes_dates``, ``routes_bulk``.
- The rules: ``rules`` (field rules and messages), ``vocabulary``, ``values``, ``validation``,
  ``nested``, ``dates``, ``limits``, ``csv_import``, ``errorbag``.
- The shapes for the OpenAPI description: ``models``, ``models_input``, ``models_bulk``,
  ``models_dates``.
- The store: ``schema``, ``store``, ``profiles_db``, ``dates_db``, ``listing``, ``search``,
  ``upsert``, ``batch``, ``render``.
"""

from __future__ import annotations

from reconcile.sandbox.config import DEFAULT_TOKEN, READ_ONLY_TOKEN, SandboxConfig
from reconcile.sandbox.http.access import (
    READ_TOKEN_ENV,
    TOKEN_ENV,
    SandboxRefused,
    chosen_tokens,
)
from reconcile.sandbox.http.app import create_app
from reconcile.sandbox.http.faults import ConnectionDropped
from reconcile.sandbox.http.server import ServedSandbox, serve, serve_in_thread

__all__ = [
    "DEFAULT_TOKEN",
    "READ_ONLY_TOKEN",
    "READ_TOKEN_ENV",
    "TOKEN_ENV",
    "ConnectionDropped",
    "SandboxConfig",
    "SandboxRefused",
    "ServedSandbox",
    "chosen_tokens",
    "create_app",
    "serve",
    "serve_in_thread",
]
