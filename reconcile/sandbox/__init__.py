"""The embedded sandbox: an Omneo-compatible Profiles API v3 served from SQLite.

>>> from pathlib import Path
>>> app = create_app(SandboxConfig(db_path=Path("/tmp/sandbox-doctest.db")))

Use it in process through ``httpx.ASGITransport(app=app)`` or over HTTP with :func:`serve`.
See ``docs/sandbox.md`` for its behaviour and the choices made where Omneo's docs are silent.

Modules and sub-packages:

- ``http``: the HTTP layer: the ASGI app, its middleware, access and the OpenAPI description.
- ``routes``: the endpoints, one module per resource; no SQL.
- ``rules``: Omneo's rules for a request, and their messages.
- ``storage``: the SQLite schema, the connection and every SQL statement.
- ``schemas``: pydantic shapes of requests and answers, for the OpenAPI description.
- ``config`` (how a sandbox tenant is set up), ``jsonio`` (JSON in and out, no non-finite
  number), ``problems`` (error answers: an exception per status, rendered in one place).
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
