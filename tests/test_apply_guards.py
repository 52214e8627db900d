"""What a production tenant refuses, directly: bulk mode, teardown, more creates than allowed;
``--force`` alone is not enough, a reason is."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from reconcile.apply.guards import Override, check_bulk, check_creates, check_teardown
from reconcile.errors import UnsafePlanError
from reconcile.settings import Target


def tenant(kind: str, max_creates: int = 100) -> Target:
    return Target(name="prod" if kind == "production" else "stage", url="https://t/api/v3",
                  token=SecretStr("x"), kind=kind, concurrency=8, rps=10,
                  max_creates=max_creates)  # type: ignore[arg-type]  # fmt: skip


FORCED = Override(force=True, reason="launch day")


def test_a_test_tenant_allows_everything_silently() -> None:
    stage = tenant("test", max_creates=1)
    assert check_creates(stage, creates=10_000, override=Override()) is None
    assert check_bulk(stage, override=Override()) is None
    assert check_teardown(stage, override=Override()) is None


def test_production_allows_creates_up_to_its_limit() -> None:
    assert check_creates(tenant("production"), creates=100, override=Override()) is None


@pytest.mark.parametrize(
    ("check", "what"),
    [
        (lambda o: check_creates(tenant("production"), creates=101, override=o),
         "this plan creates 101 profiles, more than its max_creates of 100"),
        (lambda o: check_bulk(tenant("production"), override=o),
         "bulk mode is for seeding test tenants"),
        (lambda o: check_teardown(tenant("production"), override=o),
         "teardown deletes every managed profile"),
    ],
)  # fmt: skip
def test_production_refuses_then_passes_with_force_and_a_reason(check: object, what: str) -> None:
    run = check  # a guard: Override -> the note, or a refusal
    with pytest.raises(UnsafePlanError) as refused:
        run(Override())  # type: ignore[operator]
    assert str(refused.value) == (
        f"tenant 'prod' is a production tenant: {what}; refused. Use a test tenant, "
        'or pass --force --reason "why" if this is intended'
    )
    with pytest.raises(UnsafePlanError, match=r"pass --reason \"why\""):
        run(Override(force=True))  # type: ignore[operator]
    with pytest.raises(UnsafePlanError):
        run(Override(force=True, reason="   "))  # type: ignore[operator]
    assert run(FORCED) == (  # type: ignore[operator]
        f"tenant 'prod' is a production tenant: {what}; allowed by --force: launch day"
    )
