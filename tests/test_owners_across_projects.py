"""Two projects with their own owner handles share a tenant: neither takes the other's profiles.

Project A applies (which registers its owner handle on the tenant); its profiles are then
exported into project B's folder, and B exports the tenant itself. No file holds an owner
identity; B's plan reports each of A's profiles as a conflict naming A's owner handle, adopts
nothing, and B's teardown leaves A's profiles alone.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from reconcile.sandbox import ServedSandbox
from tests.conftest import Project
from tests.reliability.world import TenantReader


def project_at(root: Path, owner: str, sandbox: ServedSandbox) -> tuple[Project, dict[str, str]]:
    (root / "profiles.d").mkdir(parents=True)
    (root / "reconcile.toml").write_text(
        f'owner_handle = "{owner}"\n\n[tenants.served]\nurl = "{sandbox.url}"\n'
        'token_env = "SERVED_TOKEN"\nkind = "test"\nrps = 1000\n'
    )
    return Project(root), {"SERVED_TOKEN": sandbox.token}


@pytest.mark.parametrize("owner_a", ["reconcile", "shop-a"])
def test_another_projects_profiles_are_never_copied_adopted_or_torn_down(
    tmp_path: Path, served_sandbox: ServedSandbox, owner_a: str
) -> None:
    a, env = project_at(tmp_path / "a", owner_a, served_sandbox)
    b, _ = project_at(tmp_path / "b", "shop-b", served_sandbox)
    a.write("marie-curie.yaml", "email: marie@example.com\nfirst_name: Marie\n")
    a.write("pierre.yaml", "email: pierre@example.com\nidentities: {pos: P-1}\n")
    b.write("own.yaml", "email: own@example.com\nfirst_name: Own\n")
    tenant = ("--tenant", "served")
    assert a.cli("apply", "--auto-approve", *tenant, env=env).exit_code == 0

    copied = a.cli("export", "--out", str(b.profiles), *tenant, env=env)
    own_export = b.cli("export", "--out", str(b.root / "exported"), *tenant, env=env)
    plan = b.cli("plan", *tenant, env=env)
    rest = b.plans / "rest.json"
    assert b.cli("plan", "--allow-conflicts", "-o", str(rest), *tenant, env=env).exit_code == 0
    applied = b.cli("apply", str(rest), *tenant, env=env)
    torn = b.cli("teardown", "--auto-approve", *tenant, env=env)

    assert copied.exit_code == 0, copied.output
    written = "".join(p.read_text() for p in b.profiles.glob("*.yaml"))
    assert "marie@example.com" in written and "pos: P-1" in written
    assert f"{owner_a}:" not in written  # no owner identity in any file
    assert own_export.exit_code == 0, own_export.output
    assert not list((b.root / "exported").glob("*.yaml"))  # only A's profiles: none written
    assert (
        f"left out: marie-curie: *: managed by another project (owner handle {owner_a!r}, "
        "key 'marie-curie')"
    ) in own_export.stderr
    assert plan.exit_code == 1, plan.output
    assert "0 to adopt" in plan.stdout and "2 conflicts" in plan.stdout
    assert plan.stdout.count(f"which another project manages (owner handle {owner_a!r}") == 2
    assert applied.exit_code == 0, applied.output
    assert torn.exit_code == 0, torn.output

    reader = TenantReader(served_sandbox.url, served_sandbox.token)
    people = {p["email"]: p for p in reader.profiles()}
    reader.close()
    for email, key in (("marie@example.com", "marie-curie"), ("pierre@example.com", "pierre")):
        handles = {i["handle"]: i["identifier"] for i in people[email]["identities"]}
        assert handles.get(owner_a) == key and "shop-b" not in handles, handles
    assert "own@example.com" not in people  # B tore its own down, and only its own
