"""Infinity and NaN never enter through the tool: not from a file, not into a request, not from a
tenant's answer, and not into a saved plan. Each case is one clear error, never a traceback."""

from __future__ import annotations

import asyncio
import json
import math
from pathlib import Path

import httpx
import pytest

from reconcile.errors import ApiError
from reconcile.plan.diff import FieldChange
from reconcile.sandbox import DEFAULT_TOKEN, SandboxConfig, create_app
from reconcile.tenant.client import OmneoClient
from tests.conftest import Project


def test_infinity_in_a_file_stops_plan_and_apply_at_its_line(project: Project) -> None:
    project.write(
        "ann.yaml",
        """
        first_name: Ann
        custom_attributes:
          loyalty:
            ratio: .inf
        """,
    )

    for command in (("plan",), ("apply", "--auto-approve")):
        result = project.cli(*command)

        assert result.exit_code == 1, result.output
        assert "Traceback" not in result.output
        assert "profiles.d/ann.yaml:4: loyalty.ratio" not in result.stderr
        assert (
            "profiles.d/ann.yaml:4: ann: custom_attributes.loyalty.ratio: .inf is not a finite"
            in (result.stderr)
        )
    assert project.saved_plans() == []


class Sandbox(httpx.AsyncBaseTransport):
    """The sandbox in process; ``infinity`` makes a tenant's answers carry a bare Infinity, as a
    faulty or hostile server could (Python's json module writes and reads it)."""

    def __init__(self, db: Path, *, infinity: bool = False) -> None:
        self.inner = httpx.ASGITransport(app=create_app(SandboxConfig(db_path=db)))
        self.infinity = infinity
        self.sent: list[bytes] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.sent.append(request.content)
        response = await self.inner.handle_async_request(request)
        if not self.infinity or request.method != "GET":
            return response
        body = json.loads(await response.aread())
        body["data"]["custom"] = {"loyalty": {"ratio": math.inf}}
        return httpx.Response(response.status_code, content=json.dumps(body).encode())


def run_with(transport: Sandbox, calls: object) -> object:
    async def go() -> object:
        headers = {"Authorization": f"Bearer {DEFAULT_TOKEN}"}
        async with httpx.AsyncClient(
            base_url="http://sandbox.local/api/v3/", headers=headers, transport=transport
        ) as http:
            return await calls(OmneoClient(http))  # type: ignore[operator]

    return asyncio.run(go())


def test_a_request_holding_infinity_is_refused_before_it_is_sent(tmp_path: Path) -> None:
    transport = Sandbox(tmp_path / "sandbox.db")

    async def put(client: OmneoClient) -> None:
        created = await client.create_profile({"first_name": "Ann", "email": "ann@example.com"})
        await client.put_custom_attribute(created.id, "loyalty", "ratio", "float", math.nan)

    with pytest.raises(ApiError, match="holds Infinity or NaN, which JSON"):
        run_with(transport, put)
    assert len(transport.sent) == 1  # the create went; the attribute never left the tool


def test_a_tenant_answer_holding_infinity_is_an_error_not_a_value(tmp_path: Path) -> None:
    transport = Sandbox(tmp_path / "sandbox.db")

    async def create(client: OmneoClient) -> str:
        return (await client.create_profile({"first_name": "Ann", "email": "ann@example.com"})).id

    profile_id = run_with(transport, create)
    transport.infinity = True

    async def read(client: OmneoClient) -> object:
        return await client.get_profile(str(profile_id))

    with pytest.raises(ApiError, match="the answer holds Infinity, which is not a JSON number"):
        run_with(transport, read)


def test_a_plan_cannot_hold_infinity_so_it_never_saves_null_in_its_place() -> None:
    with pytest.raises(ValueError, match="Infinity or NaN"):
        FieldChange(field="custom_attributes.l.r", path="custom_attributes.l.r", before=1.0,
                    after=math.inf)  # fmt: skip
