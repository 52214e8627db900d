"""The embedded sandbox: an Omneo-compatible Profiles API v3 served from SQLite.

>>> from pathlib import Path
>>> app = create_app(SandboxConfig(db_path=Path("/tmp/sandbox-doctest.db")))

Use it in process through ``httpx.ASGITransport(app=app)`` or over HTTP with :func:`serve`.
See ``docs/sandbox.md`` for its behaviour and the choices made where Omneo's docs are silent.
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
