"""Plan, apply, export, teardown and resume against both answer styles of the sandbox (the API
reference's forms and the SDK types'), with a profiles.d/ that uses every field group: a
difference of form is never a change, so tolerance of a real tenant's answers cannot rot."""

from __future__ import annotations

import asyncio
import os
import re
from collections.abc import Iterator
from typing import Any

import pytest

from reconcile.settings import load_settings, resolve_target
from reconcile.tenant.wire import open_http
from tests.conftest import Project
from tests.test_apply import assert_converged, plan_to, tenant_call

ANN = """
    title: Dr
    first_name: Ann
    last_name: Lee
    email: ann@example.com
    mobile_phone: "+61412345678"
    secondary_phone: "+61298765432"
    birth_day: 7
    birth_month: 3
    birth_year: 1990
    gender: female
    company: Acme
    occupation: Engineer
    currency: AUD
    joined_at: 2020-05-01 10:00:00
    avatar_url: https://cdn.example.com/ann.png
    joined_location_id: 12
    preferred_location_id: 7
    tags: [vip, mobile app]
    identities: {pos: pos-ann, shopify: "1001"}
    attributes:
      comms:
        email_promo: true
        sms_optout: false
        email_verification: sent
        terms_accepted_at: "2021-01-02T03:04:05Z"
        terms_accepted_version: v2
    custom_attributes:
      loyalty:
        tier: gold
        visits: 3
        ratio: {type: float, value: 3}
        prefs: {type: json, value: {colour: red}}
        sizes: [s, m]
    addresses:
      - {address_line_1: 1 Main St, city: Sydney, state: NSW, postcode: "2000", country: AU,
         is_default: true}
      - {address_line_1: 2 High St, city: Perth, state: WA, postcode: "6000", country: AU}
    dates:
      wedding: {date: 2015-03-14, recurring: yearly, relationship: partner, name: Wedding}
    """
BOB = """
    email: bob@example.com
    custom_attributes: {loyalty: {tier: silver}}
    """
CY = """
    first_name: Cy
    email: cy@example.com
    mobile_phone: "0412 000 111"
    identities: {pos: pos-cy}
    """
SERVER_OWNED = re.compile(r"_verification|_bounced|balance|birth_date|created_at|updated_at")


@pytest.fixture(params=["reference", "sdk"])
def styled(project: Project, request: pytest.FixtureRequest) -> Iterator[Project]:
    """A project whose embedded tenant answers in one style, holding three applied profiles."""
    (project.root / "reconcile.toml").write_text(f'[sandbox]\nanswer_style = "{request.param}"\n')
    project.write("ann.yaml", ANN)
    project.write("bob.yaml", BOB)
    project.write("cy.yaml", CY)
    applied = project.cli("apply", "--auto-approve")
    assert applied.exit_code == 0, applied.output
    assert "3 applied, 0 failed" in applied.stderr
    yield project


def raw_profiles(project: Project) -> list[dict[str, Any]]:
    """``GET /profiles`` of the project's tenant, as it answers (not read by the tool)."""

    async def get() -> Any:
        target = resolve_target(load_settings(project.root), None, os.environ)
        async with open_http(target) as http:
            return (await http.get("profiles", params={"sort": "created_at"})).json()["data"]

    found: list[dict[str, Any]] = asyncio.run(get())
    return found


def test_applied_files_plan_empty_and_a_change_converges(styled: Project) -> None:
    # by email: three profiles created within one second tie on created_at
    [ann] = [p for p in raw_profiles(styled) if p["email"] == "ann@example.com"]
    sdk = isinstance(ann["custom_attributes"], list)  # the style is the tenant's, not the tool's
    assert sdk == ("sdk" in (styled.root / "reconcile.toml").read_text())
    assert isinstance(ann["birth_day"], str) == sdk and ("T" in ann["joined_at"]) == sdk
    assert_converged(styled)

    changed = (
        ANN.replace("title: Dr", "title: Prof")
        .replace("[vip, mobile app]", "[vip]")
        .replace("email_promo: true", "email_promo: false")
        .replace("tier: gold", "tier: platinum")
        .replace("city: Perth", "city: Fremantle")
        .replace("relationship: partner", "relationship: spouse")
        .replace("joined_at: 2020-05-01 10:00:00", "joined_at: 2021-06-01T08:00:00+10:00")
    )
    styled.write("ann.yaml", changed)
    planned = styled.cli("plan", "--detailed-exitcode")
    assert planned.exit_code == 2, planned.output
    assert "~ update ann" in planned.stdout and "update bob" not in planned.stdout
    applied = styled.cli("apply", "--auto-approve")
    assert applied.exit_code == 0, applied.output

    assert_converged(styled)


def test_export_declares_only_what_a_user_owns_and_plans_empty(styled: Project) -> None:
    for name in ("ann.yaml", "bob.yaml", "cy.yaml"):
        styled.remove(name)

    exported = styled.cli("export")
    assert exported.exit_code == 0, exported.output
    assert "left out" not in exported.stderr, exported.stderr

    ann = (styled.profiles / "ann.yaml").read_text()
    assert not SERVER_OWNED.search(ann), ann
    assert "tier: gold" in ann and "wedding:" in ann and "Fremantle" not in ann
    assert 'joined_at: "2020-05-01 10:00:00"' in ann
    assert_converged(styled)


def test_teardown_then_reseed_and_an_interrupted_apply_resumes(styled: Project) -> None:
    torn = styled.cli("teardown", "--auto-approve")
    assert torn.exit_code == 0, torn.output
    assert "3 applied, 0 failed" in torn.stderr
    restored = styled.cli("apply", "--auto-approve")
    assert restored.exit_code == 0, restored.output
    assert "3 applied" in restored.stderr
    assert_converged(styled)

    styled.write("dan.yaml", "email: dan@example.com\ncustom_attributes: {a: {b: 1}}\n")
    styled.write("eve.yaml", "email: eve@example.com\n")
    plan_file = plan_to(styled, "interrupted")
    taken = tenant_call(styled, "create_profile", {"email": "dan@example.com"})
    assert styled.cli("apply", str(plan_file)).exit_code == 1
    tenant_call(styled, "delete_profile", taken.id)
    tenant_call(styled, "purge_profile", taken.id)

    resumed = styled.cli("apply", "--resume", str(plan_file))
    assert resumed.exit_code == 0, resumed.output
    assert "1 applied, 0 failed, 1 already done" in resumed.stderr
    assert_converged(styled)
