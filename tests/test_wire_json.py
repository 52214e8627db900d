"""A tenant's answers are read as strict JSON, whichever decoder reads them: Infinity, NaN and
numbers past a float are errors, integers of any size stay exact, and whatever the fast decoder
refuses is judged as the standard library judges it (so errors keep their one-line messages)."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import math
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reconcile.errors import ApiError
from reconcile.sandbox import DEFAULT_TOKEN, SandboxConfig, create_app
from reconcile.tenant.client import OmneoClient
from reconcile.tenant.wire import decode_answer

ATTRIBUTE = "custom_attributes.loyalty.points"


class Rewriting(httpx.AsyncBaseTransport):
    """The sandbox in process; a profile read answers with its custom attribute ``loyalty.points``
    written as ``literal`` (raw JSON text, as a faulty tenant could send it), or with ``raw``."""

    def __init__(self, db: Path) -> None:
        self.inner = httpx.ASGITransport(app=create_app(SandboxConfig(db_path=db)))
        self.literal: str | None = None
        self.raw: Callable[[bytes], bytes] | None = None

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        if request.method != "GET" or (self.literal is None and self.raw is None):
            return response
        content = await response.aread()
        if self.literal is not None:
            body = json.loads(content)
            body["data"]["custom_attributes"] = {"loyalty": {"points": "@@"}}
            content = json.dumps(body).encode().replace(b'"@@"', self.literal.encode())
        if self.raw is not None:
            content = self.raw(content)
        return httpx.Response(response.status_code, content=content)


@pytest.fixture
def tenant(tmp_path: Path) -> tuple[Rewriting, str]:
    transport = Rewriting(tmp_path / "sandbox.db")

    async def create(client: OmneoClient) -> str:
        return (await client.create_profile({"first_name": "Ann", "email": "ann@example.com"})).id

    return transport, run(transport, create)


def run(transport: Rewriting, calls: Callable[[OmneoClient], Awaitable[Any]]) -> Any:
    async def go() -> Any:
        headers = {"Authorization": f"Bearer {DEFAULT_TOKEN}"}
        async with httpx.AsyncClient(
            base_url="http://sandbox.local/api/v3/", headers=headers, transport=transport
        ) as http:
            return await calls(OmneoClient(http))

    return asyncio.run(go())


def read(tenant: tuple[Rewriting, str], literal: str) -> Any:
    transport, profile_id = tenant
    transport.literal = literal
    observed = run(transport, lambda client: client.get_profile(profile_id))
    return observed.fields[ATTRIBUTE]


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity", "1e400", "-1e400"])
def test_a_non_finite_number_in_an_answer_is_an_error_naming_it(
    tenant: tuple[Rewriting, str], literal: str
) -> None:
    with pytest.raises(ApiError, match=f"the answer holds {literal}, which is not a JSON number"):
        read(tenant, literal)


@pytest.mark.parametrize(
    "literal",
    ["18446744073709551616", "-9223372036854775809", "123456789012345678901234567890"],
)
def test_an_integer_past_64_bits_is_read_exactly_not_as_a_float(
    tenant: tuple[Rewriting, str], literal: str
) -> None:
    value = read(tenant, literal)

    assert type(value) is int and value == int(literal)


@pytest.mark.parametrize("literal", ["0.1", "1.7976931348623157e308", "5e-324", "-0.0", "1E5"])
def test_floats_read_as_the_same_double_as_python_reads_them(
    tenant: tuple[Rewriting, str], literal: str
) -> None:
    value = read(tenant, literal)

    assert type(value) is float and math.copysign(1, value) == math.copysign(1, float(literal))
    assert value == float(literal)


@pytest.mark.parametrize(
    "rewrite",
    [
        lambda content: content[:-1],  # cut short
        lambda content: content + b" {}",  # trailing text
        lambda content: content.replace(b'"Ann"', b'"\xffnn"'),  # not UTF-8
        lambda content: content.replace(b'"Ann"', b"'Ann'"),  # not JSON quoting
    ],
    ids=["truncated", "trailing", "bad-utf8", "single-quotes"],
)
def test_an_answer_that_is_not_json_is_one_clear_error(
    tenant: tuple[Rewriting, str], rewrite: Callable[[bytes], bytes]
) -> None:
    transport, profile_id = tenant
    transport.raw = rewrite

    with pytest.raises(ApiError, match="the answer is not JSON"):
        run(transport, lambda client: client.get_profile(profile_id))


@pytest.mark.parametrize(
    "rewrite",
    [
        lambda content: b"\xef\xbb\xbf" + content,  # a UTF-8 byte order mark
        lambda content: content.decode().encode("utf-16"),
        lambda content: content.replace(b'"Ann"', b'"Ann\\ud800"'),  # a lone surrogate escape
    ],
    ids=["bom", "utf-16", "lone-surrogate"],
)
def test_what_the_fast_decoder_refuses_is_read_as_the_standard_library_reads_it(
    tenant: tuple[Rewriting, str], rewrite: Callable[[bytes], bytes]
) -> None:
    transport, profile_id = tenant
    transport.raw = rewrite

    observed = run(transport, lambda client: client.get_profile(profile_id))

    assert observed.id == profile_id
    assert str(observed.fields["first_name"]).startswith("Ann")


def json_values() -> st.SearchStrategy[Any]:
    scalars = (
        st.none()
        | st.booleans()
        | st.integers(min_value=-(2**80), max_value=2**80)
        | st.floats(allow_nan=False, allow_infinity=False)
        | st.text()
    )
    return st.recursive(
        scalars,
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
        max_leaves=20,
    )


@settings(max_examples=300, deadline=None)
@given(json_values())
def test_any_json_answer_decodes_to_exactly_what_the_standard_library_reads(value: Any) -> None:
    for ensure_ascii in (True, False):
        content = json.dumps(value, ensure_ascii=ensure_ascii).encode("utf-8", "surrogatepass")
        expected = json.loads(content)

        decoded = decode_answer(httpx.Response(200, content=content), "GET", "profiles")

        assert repr(decoded) == repr(expected)


@pytest.mark.parametrize("collecting", [True, False])
def test_decoding_leaves_the_collector_as_it_found_it(collecting: bool) -> None:
    # Decoding pauses the collector (a page makes ~100,000 objects and no cycles); it must never
    # leave it off for the rest of the run, nor turn on one the planner paused.
    was = gc.isenabled()
    (gc.enable if collecting else gc.disable)()
    try:
        for content in (b'{"data": [1, 2]}', b"NaN"):
            with contextlib.suppress(ApiError):
                decode_answer(httpx.Response(200, content=content), "GET", "profiles")
            assert gc.isenabled() is collecting
    finally:
        (gc.enable if was else gc.disable)()
