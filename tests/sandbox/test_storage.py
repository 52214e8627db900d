"""Durable storage: data survives a restart; the schema is versioned and migrated."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import httpx
import pytest

from reconcile.sandbox import DEFAULT_TOKEN, SandboxConfig, serve_in_thread
from reconcile.sandbox.storage.schema import MIGRATIONS, SCHEMA_VERSION, SchemaTooNew, connect

AUTH = {"Authorization": f"Bearer {DEFAULT_TOKEN}"}


def test_data_survives_a_restart(tmp_path: Path) -> None:
    config = SandboxConfig(db_path=tmp_path / "deep" / "s.db")
    with serve_in_thread(config) as served, httpx.Client(base_url=served.url, headers=AUTH) as api:
        profile = api.post("/profiles", json={"email": "keep@example.com"}).json()["data"]
    with serve_in_thread(config) as served, httpx.Client(base_url=served.url, headers=AUTH) as api:
        assert api.get(f"/profiles/{profile['id']}").json()["data"] == profile


def test_migrations_upgrade_an_old_database(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as old:
        old.executescript(MIGRATIONS[0])
        old.execute("PRAGMA user_version = 1")
        old.execute(
            "INSERT INTO profiles (id, email, first_name, last_name, profile_type, created_at,"
            " updated_at, doc) VALUES ('p1', 'a@x.io', 'A', 'B', 'active', 'now', 'now', '{}')"
        )
    old.close()
    conn = connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert conn.execute("SELECT email FROM profiles").fetchone()[0] == "a@x.io"
    assert conn.execute("SELECT count(*) FROM batches").fetchone()[0] == 0
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    conn.close()


def test_a_newer_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    with sqlite3.connect(path) as newer:
        newer.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    newer.close()
    with pytest.raises(SchemaTooNew):
        connect(path)
