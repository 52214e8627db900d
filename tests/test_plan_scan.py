"""Planning many profiles that are not managed yet (seeding a tenant) lists the tenant once
instead of looking each declared email, mobile and identity up: the same matches, far fewer calls.
"""

from __future__ import annotations

import json

import httpx

from reconcile.sandbox import ServedSandbox
from tests.conftest import Project


def test_seeding_plan_lists_the_tenant_instead_of_one_lookup_per_value(
    project: Project, served_sandbox: ServedSandbox
) -> None:
    lines = ["profiles:"]
    for n in range(60):
        lines += [f"  - key: p{n}", f"    email: p{n}@example.com"]
        if n == 7:
            lines += ["    identities:", "      shopify: sh-7"]
    project.write("many.yaml", "\n".join(lines) + "\n")
    headers = {"Authorization": f"Bearer {served_sandbox.token}"}
    with httpx.Client(base_url=served_sandbox.url, headers=headers) as api:
        for body in (
            {"first_name": "Has", "email": "p3@example.com"},  # adopted by email
            {"first_name": "Has", "email": "other@example.com",
             "identities": [{"handle": "shopify", "identifier": "sh-7"}]},  # by identity
            {"first_name": "Unrelated", "email": "unrelated@example.com"},
        ):  # fmt: skip
            assert api.post("/profiles", json=body).status_code == 201

    plan_file = project.plans / "seed.json"
    env = {"OMNEO_URL": served_sandbox.url, "OMNEO_TOKEN": served_sandbox.token}
    result = project.cli("plan", "-o", str(plan_file), env=env)
    assert result.exit_code == 0, result.output

    plan = json.loads(plan_file.read_text())
    actions = {c["key"]: c["action"] for c in plan["changes"]}
    assert actions["p3"] == "adopt" and actions["p7"] == "adopt"
    assert sorted(actions.values()).count("create") == 58
    # the owner listing, the soft-deleted listing and one page of profiles, not 61 lookups
    assert plan["api_calls"] <= 4
