"""The sandbox under contract fuzzing: one in-process app, its OpenAPI description loaded by
schemathesis, and the checks every answer must pass.

Bodies come from the description alone (positive mode follows its schemas, patterns, formats
and limits). What a schema cannot say is supplied here, and only that: the ``email`` and
``e164`` formats draw fresh values (uniqueness across the tenant), identity handles and
identifiers get a fresh suffix (distinct within a profile, unique across the tenant), and an
import file names the column its ``match_criteria`` needs.
"""

from __future__ import annotations

import itertools
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

import schemathesis
from hypothesis import strategies as st
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from reconcile.sandbox import DEFAULT_TOKEN, SandboxConfig, create_app

FRESH = itertools.count(1)
schemathesis.openapi.format(
    "email", st.integers(0, 999).map(lambda n: f"fuzz{next(FRESH)}.{n}@example.com")
)
schemathesis.openapi.format("e164", st.just(None).map(lambda _: f"+6140{next(FRESH):07d}"))

APP = create_app(SandboxConfig(db_path=Path(tempfile.mkdtemp(prefix="reconcile-fuzz-")) / "s.db"))
SCHEMA = schemathesis.openapi.from_asgi("/api/v3/openapi.json", APP)
OPERATIONS = {
    f"{op.method.upper()} {op.path}": op for op in (r.ok() for r in SCHEMA.get_all_operations())
}
AUTH = {"Authorization": f"Bearer {DEFAULT_TOKEN}"}
CHECKS = [status_code_conformance, content_type_conformance, response_schema_conformance]
READS_BY_POST = {"POST /api/v3/profiles/search-id", "POST /api/v3/profiles/availability"}
WRITES = sorted(n for n in OPERATIONS if not n.startswith("GET ") and n not in READS_BY_POST)


def _fresh(text: Any, limit: int) -> Any:
    return f"{text[: limit - 12]}-{next(FRESH)}" if isinstance(text, str) else text


def _unique_identities(items: Any) -> None:
    for item in items if isinstance(items, list) else []:
        if isinstance(item, dict):
            item["handle"] = _fresh(item.get("handle"), 64)
            item["identifier"] = _fresh(item.get("identifier"), 255)


@SCHEMA.hook
def map_body(context: Any, body: Any) -> Any:
    if not isinstance(body, dict):
        return body
    profiles = body.get("profiles") if isinstance(body.get("profiles"), list) else [body]
    for profile in profiles:
        if isinstance(profile, dict):
            _unique_identities(profile.get("identities"))
    if context.operation is not None and context.operation.path.endswith("/identities"):
        _unique_identities([body])
    elif "identifier" in body:
        body["identifier"] = _fresh(body["identifier"], 255)
    return body


@SCHEMA.hook
def map_case(context: Any, case: Any) -> Any:
    """An import file matched by an identity handle needs that identity's column."""
    criteria = (case.query or {}).get("match_criteria", "email")
    csv = case.operation.path == "/api/v3/import-jobs" and isinstance(case.body, str)
    if csv and criteria != "email" and isinstance(criteria, str):
        case.body = f"identity:{criteria}," + case.body
    return case


def assert_documented(answer: Any, where: str) -> None:
    """No 5xx, and every 4xx is ``{"message": str, "errors"?: {field: [str]}}``."""
    assert answer.status_code < 500, f"{where}: {answer.status_code} {answer.text[:300]}"
    if 400 <= answer.status_code < 500:
        body = answer.json()
        assert isinstance(body, dict), f"{where}: {answer.text[:300]}"
        assert set(body) <= {"message", "errors"}, f"{where}: {sorted(body)}"
        assert isinstance(body.get("message"), str) and body["message"], where
        errors = body.get("errors", {})
        assert isinstance(errors, dict), where
        for field, messages in errors.items():
            assert isinstance(field, str) and isinstance(messages, list), where
            assert messages and all(isinstance(m, str) and m for m in messages), where


class Tally:
    """Answers counted by operation and status."""

    def __init__(self) -> None:
        self.by_operation: dict[str, Counter[int]] = {}

    def add(self, name: str, status: int) -> None:
        self.by_operation.setdefault(name, Counter())[status] += 1

    def share_2xx(self, name: str) -> float:
        found = self.by_operation.get(name, Counter())
        total = sum(found.values())
        return sum(n for s, n in found.items() if 200 <= s < 300) / total if total else 0.0

    def classes(self, name: str) -> dict[str, int]:
        """``{"2xx": n, "4xx": n, "5xx": n}`` of one operation (the figures' shape)."""
        found = self.by_operation.get(name, Counter())
        return {f"{c}xx": sum(n for s, n in found.items() if s // 100 == c) for c in (2, 4, 5)}

    def total(self) -> int:
        return sum(sum(found.values()) for found in self.by_operation.values())
