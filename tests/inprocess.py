"""The sandbox as an in-process tenant for library-level apply tests: its URL, token and target,
and a client over any httpx transport (an ``ASGITransport`` of the sandbox, or one wrapping it).

>>> async with tenant_http(httpx.ASGITransport(app=create_app(config))) as http:  # doctest: +SKIP
...     client = OmneoClient(http)
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import httpx
from pydantic import SecretStr

from reconcile.sandbox import DEFAULT_TOKEN
from reconcile.settings import Target
from reconcile.tenant.client import OmneoClient

URL = "http://sandbox.local/api/v3/"
HEADERS = {"Authorization": f"Bearer {DEFAULT_TOKEN}"}
TARGET = Target(name="t", url="sandbox", token=SecretStr(DEFAULT_TOKEN), kind="test",
                concurrency=8, rps=1000, max_creates=1000)  # fmt: skip


def tenant_http(transport: httpx.AsyncBaseTransport) -> httpx.AsyncClient:
    """An HTTP client for the tenant behind ``transport``, authorised with the write token."""
    return httpx.AsyncClient(base_url=URL, headers=HEADERS, transport=transport)


async def with_client(
    transport: httpx.AsyncBaseTransport, run: Callable[[OmneoClient], Awaitable[None]]
) -> None:
    """Run ``run`` with an :class:`OmneoClient` of the tenant behind ``transport``."""
    async with tenant_http(transport) as http:
        await run(OmneoClient(http))
