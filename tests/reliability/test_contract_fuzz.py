"""Contract fuzzing of the sandbox from its own OpenAPI description (schemathesis).

Two kinds of run. **Per operation** (stateless): valid and invalid requests to each operation
on its own; none gets a 5xx, every 4xx carries the documented error body. **Workflows**
(stateful, ``workflow.py``): requests that follow the description's links, so what one creates
the next reads, lists, updates and deletes; every write succeeds in at least a third of its
requests, answers match their documented schemas, and some writes carry a non-finite number or
an oversized body, which must be refused as documented. After every workflow the listings
(``GET /profiles``, ``GET /identities?include=profile``) must still answer.

The default run is short; ``pytest -m slow tests/reliability -s`` runs many more, and writes the
per-operation counts to ``.reliability/last-run.json`` (quoted in docs/reliability.md).
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode

from reconcile.sandbox import READ_ONLY_TOKEN
from tests.reliability.contract import (
    AUTH,
    OPERATIONS,
    SCHEMA,
    WRITES,
    Tally,
    assert_documented,
)
from tests.reliability.workflow import LINKS, Workflow

SEED_BODY = {"email": "fuzz-target@example.com", "first_name": "Fuzz"}


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


def workflows(scenarios: int, steps: int, *, derandomize: bool) -> Tally:
    """Run ``scenarios`` workflows of ``steps`` requests each; the answers counted."""
    tally = Tally()

    @settings(
        max_examples=scenarios,
        deadline=None,
        database=None,
        derandomize=derandomize,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(st.data())
    def scenario(data: st.DataObject) -> None:
        flow = Workflow(data.draw, tally, inject=True)
        for _ in range(steps):
            flow.step()
        for url in ("/profiles?page[size]=500&sort=-created_at", "/identities?include=profile"):
            answer = _get(url)
            assert answer.status_code == 200, (url, answer.text[:300])

    scenario()
    return tally


def _get(url: str) -> Any:
    path, _, query = url.partition("?")
    params = dict(part.split("=") for part in query.split("&")) if query else {}
    return OPERATIONS[f"GET /api/v3{path}"].Case(query=params).call(headers=AUTH)


def assert_writes_succeed(tally: Tally, reached: int) -> None:
    """At least ``reached`` writes were sent, and every write sent got a 2xx in at least a third
    of its requests. (Sent at all, not some number of times: how often a write that only a chain
    of links reaches is sent varies widely from run to run, while a write that no link reaches
    is sent in no run.)"""
    sent = [name for name in WRITES if name in tally.by_operation]
    assert len(sent) >= reached, sorted(set(WRITES) - set(sent))
    for name in WRITES:
        if name in tally.by_operation:
            assert tally.share_2xx(name) >= 1 / 3, (name, dict(tally.by_operation[name]))
    refused = [n for n in tally.by_operation if n.endswith(("[non-finite]", "[oversized]"))]
    assert refused, "no request carried a non-finite number or an oversized body"


@pytest.fixture(scope="module", autouse=True)
def seed_profile() -> None:
    """One real profile, so generated requests can reach more than 404s."""
    answer = OPERATIONS["POST /api/v3/profiles"].Case(body=SEED_BODY).call(headers=AUTH)
    assert answer.status_code in (201, 422)


@pytest.mark.parametrize("name", sorted(OPERATIONS))
def test_generated_requests_get_no_5xx_and_documented_4xx(name: str) -> None:
    fuzz(name, 6, [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])


def test_workflows_write_then_read() -> None:
    tally = workflows(8, 20, derandomize=True)
    assert_writes_succeed(tally, reached=15)


def test_the_links_build_a_schemathesis_state_machine() -> None:
    """The description's links are valid for schemathesis's own stateful testing too."""
    SCHEMA.config.phases.stateful.inference.algorithms = []  # only the document's links
    machine = SCHEMA.as_state_machine()
    documented = {(link.source[0], link.target) for link in LINKS}
    built = {
        (label, link.target.label)
        for label, found in machine._transitions.operations.items()
        for link in found.outgoing
    }
    assert built == documented
    assert len(LINKS) >= 100


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(OPERATIONS))
def test_generated_requests_thoroughly(name: str, summary: dict[str, Any]) -> None:
    statuses = fuzz(name, 150, [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
    summary.update(name="contract_fuzz", **{name: {str(k): v for k, v in sorted(statuses.items())}})


@pytest.mark.slow
def test_workflows_thoroughly(summary: dict[str, Any]) -> None:
    tally = workflows(100, 40, derandomize=False)
    summary.update(  # one key per run, so a run replaces the last one's counts whole
        name="contract_workflows",
        requests=tally.total(),
        operations={name: tally.classes(name) for name in sorted(tally.by_operation)},
    )
    assert_writes_succeed(tally, reached=len(WRITES))


@pytest.mark.parametrize("name", sorted(OPERATIONS))
def test_every_operation_needs_a_token(name: str) -> None:
    operation = OPERATIONS[name]
    path = operation.path.replace("{", "").replace("}", "")
    for headers in ({}, {"Authorization": "Bearer not-a-token"}, {"Authorization": "Basic eA=="}):
        case = operation.Case(path_parameters={k: "x" for k in _params(operation.path)})
        answer = case.call(headers=headers)
        assert answer.status_code == 401, f"{name} {path} {headers}: {answer.status_code}"
        assert answer.json() == {"message": "Unauthenticated."}


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
