"""Contract fuzzing of the sandbox from its own OpenAPI description (schemathesis): no generated
request, valid or not, gets a 5xx, and every 4xx carries the documented error body
``{"message": str, "errors"?: {field: [str]}}``.

The default run sends a few examples per operation; ``pytest -m slow tests/reliability`` sends
many more, of valid and of invalid requests.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode

from reconcile.sandbox import DEFAULT_TOKEN, READ_ONLY_TOKEN, SandboxConfig, create_app

_DB = Path(tempfile.mkdtemp(prefix="reconcile-fuzz-")) / "sandbox.db"
APP = create_app(SandboxConfig(db_path=_DB))
SCHEMA = schemathesis.openapi.from_asgi("/api/v3/openapi.json", APP)
OPERATIONS = {
    f"{op.method.upper()} {op.path}": op for op in (r.ok() for r in SCHEMA.get_all_operations())
}
AUTH = {"Authorization": f"Bearer {DEFAULT_TOKEN}"}


def seed_profile() -> str:
    """One real profile, so generated requests can reach more than 404s."""
    case = OPERATIONS["POST /api/v3/profiles"].Case(
        body={"email": "fuzz-target@example.com", "first_name": "Fuzz"}
    )
    answer = case.call(headers=AUTH)
    assert answer.status_code in (201, 422)
    return "fuzz-target@example.com"


seed_profile()


def assert_documented(answer: Any, where: str) -> None:
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


def fuzz(name: str, examples: int, modes: list[GenerationMode]) -> dict[int, int]:
    """Send generated requests to one operation; how many got each status."""
    strategy = OPERATIONS[name].as_strategy(generation_mode=modes[0])
    for mode in modes[1:]:
        strategy = strategy | OPERATIONS[name].as_strategy(generation_mode=mode)

    @settings(
        max_examples=examples, deadline=None, suppress_health_check=list(HealthCheck), database=None
    )
    @given(strategy)
    def run(case: Any) -> None:
        # Generated credentials are replaced; a negative case may still drop the header on
        # purpose (a test of the 401), which must then be the documented 401.
        case.headers = {
            k: v for k, v in (case.headers or {}).items() if k.lower() != "authorization"
        }
        answer = case.call(headers=AUTH)
        assert_documented(answer, f"{case.method} {case.formatted_path}")
        if answer.request.headers.get("Authorization"):
            assert answer.status_code != 401, "the valid token must reach the operation"
        statuses[answer.status_code] = statuses.get(answer.status_code, 0) + 1

    statuses: dict[int, int] = {}
    run()
    return statuses


@pytest.mark.parametrize("name", sorted(OPERATIONS))
def test_generated_requests_get_no_5xx_and_documented_4xx(name: str) -> None:
    fuzz(name, 6, [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(OPERATIONS))
def test_generated_requests_thoroughly(name: str, summary: dict[str, Any]) -> None:
    statuses = fuzz(name, 150, [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
    summary.update(name="contract_fuzz", **{name: {str(k): v for k, v in sorted(statuses.items())}})


@pytest.mark.parametrize("name", sorted(OPERATIONS))
def test_every_operation_needs_a_token(name: str) -> None:
    operation = OPERATIONS[name]
    path = operation.path.replace("{", "").replace("}", "")
    for headers in ({}, {"Authorization": "Bearer not-a-token"}, {"Authorization": "Basic eA=="}):
        case = operation.Case(path_parameters={k: "x" for k in _params(operation.path)})
        answer = case.call(headers=headers)
        assert answer.status_code == 401, f"{name} {path} {headers}: {answer.status_code}"
        assert answer.json() == {"message": "Unauthenticated."}


READS_BY_POST = {"POST /api/v3/profiles/search-id", "POST /api/v3/profiles/availability"}
WRITES = sorted(n for n in OPERATIONS if not n.startswith("GET ") and n not in READS_BY_POST)


@pytest.mark.parametrize("name", WRITES)
def test_a_read_only_token_cannot_write(name: str) -> None:
    operation = OPERATIONS[name]
    body = {"body": {}} if operation.get_request_payload_content_types() else {}
    case = operation.Case(path_parameters={k: "x" for k in _params(operation.path)}, **body)
    answer = case.call(headers={"Authorization": f"Bearer {READ_ONLY_TOKEN}"})
    assert answer.status_code == 403, f"{name}: {answer.status_code} {answer.text[:200]}"
    assert answer.json() == {"message": "This action is unauthorized."}


def _params(path: str) -> list[str]:
    return [part[1:-1] for part in path.split("/") if part.startswith("{")]
