"""Fixtures of the reliability suite.

The slow runs write what they measured to ``.reliability/last-run.json`` (git-ignored) and print
it; docs/reliability.md quotes the last full run.
"""

from __future__ import annotations

import fcntl
import json
import time
from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import REPO

SUMMARY = REPO / ".reliability" / "last-run.json"


@pytest.fixture
def summary() -> Iterator[dict[str, Any]]:
    """A dict a test fills with its figures; merged into ``.reliability/last-run.json``."""
    figures: dict[str, Any] = {}
    yield figures
    if not figures:
        return
    SUMMARY.parent.mkdir(exist_ok=True)
    # The suite runs on several workers: one at a time reads, merges and rewrites the file.
    with (SUMMARY.parent / "last-run.lock").open("w") as guard:
        fcntl.flock(guard, fcntl.LOCK_EX)
        merged = json.loads(SUMMARY.read_text()) if SUMMARY.exists() else {}
        stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        name = figures.pop("name")
        merged[name] = {**merged.get(name, {}), **figures, "at": stamp}
        SUMMARY.write_text(json.dumps(merged, indent=2, sort_keys=True) + "\n")
    print(f"\nRELIABILITY {json.dumps(merged, sort_keys=True)}")
