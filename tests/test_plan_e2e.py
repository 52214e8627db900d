"""`reconcile plan` end to end against a sandbox tenant served over HTTP: every action, every
conflict kind, selectors, exit codes, saved plans and `reconcile show`.

Profiles that reconcile does not manage are created straight through the API (``tenant.seed``),
as another system would.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from click.testing import Result

from reconcile.sandbox import ServedSandbox
from tests.conftest import Project


@dataclass
class Tenant:
    """A project whose tenant is a served sandbox, plus a direct API client for seeding."""

    project: Project
    api: httpx.Client
    url: str
    token: str

    def cli(self, *args: str) -> Result:
        return self.project.cli(*args, env={"OMNEO_URL": self.url, "OMNEO_TOKEN": self.token})

    def seed(self, **fields: Any) -> str:
        """An unmanaged profile, created as another system would; returns its id."""
        fields.setdefault("first_name", "Seeded")
        fields.setdefault("last_name", "Customer")
        answer = self.api.post("/profiles", json=fields)
        assert answer.status_code in (200, 201), answer.text
        return str(answer.json()["data"]["id"])

    def apply(self) -> None:
        result = self.cli("apply", "--auto-approve", "--allow-delete", "--allow-purge")
        assert result.exit_code == 0, result.output

    def identities(self, profile_id: str) -> dict[str, str]:
        data = self.api.get(f"/profiles/{profile_id}/identities").json()["data"]
        return {i["handle"]: i["identifier"] for i in data}


@pytest.fixture
def tenant(project: Project, served_sandbox: ServedSandbox) -> Iterator[Tenant]:
    headers = {"Authorization": f"Bearer {served_sandbox.token}", "Accept": "application/json"}
    with httpx.Client(base_url=served_sandbox.url, headers=headers, timeout=30) as api:
        yield Tenant(project, api, served_sandbox.url, served_sandbox.token)


def _plan(tenant: Tenant, *args: str, name: str = "p.json") -> tuple[Result, dict[str, Any]]:
    path = tenant.project.plans / name
    result = tenant.cli("plan", "-o", str(path), *args)
    report = json.loads(tenant.cli("show", str(path), "--format", "json").stdout)
    return result, report


# -- actions -------------------------------------------------------------------------------


def test_create_then_an_empty_plan_made_from_one_listing(tenant: Tenant) -> None:
    for n in range(3):
        tenant.project.write(f"c{n}.yaml", f"first_name: Cee\nemail: c{n}@example.com\n")
    result = tenant.cli("plan", "--detailed-exitcode")
    assert result.exit_code == 2, result.output
    assert "+ create c0" in result.stdout
    assert "3 to create, 0 to adopt, 0 to update, 0 to delete, 0 to purge" in result.stdout
    tenant.apply()

    again = tenant.cli("plan", "--detailed-exitcode")
    assert again.exit_code == 0, again.output
    assert "No changes" in again.stdout
    # one listing page of the owner handle and one of soft-deleted profiles, not one per profile
    assert "(2 API calls)" in again.stdout


def test_adopt_adds_the_owner_identity_to_a_profile_found_by_email(tenant: Tenant) -> None:
    existing = tenant.seed(email="dana@example.com", first_name="Dana")
    tenant.project.write("dana.yaml", "first_name: Danielle\nemail: Dana@Example.com\n")
    result, report = _plan(tenant)
    assert result.exit_code == 0, result.output
    assert f"& adopt dana ({existing})" in result.stdout
    assert "identities.reconcile: (none) → dana" in result.stdout
    assert "first_name: D*** → D*** (changed)" in result.stdout
    assert report["summary"]["adopt"] == 1

    tenant.apply()
    assert tenant.identities(existing)["reconcile"] == "dana"
    assert "No changes" in tenant.cli("plan").stdout


def test_adopt_by_declared_identity(tenant: Tenant) -> None:
    existing = tenant.seed(
        email="eli@example.com", identities=[{"handle": "shopify", "identifier": "7001"}]
    )
    tenant.project.write("eli.yaml", "identities: {shopify: '7001'}\ntags: [vip]\n")
    result = tenant.cli("plan")
    assert f"& adopt eli ({existing})" in result.stdout
    assert 'tags: [] → ["vip"]' in result.stdout


def test_update_shows_only_declared_fields_tags_as_sets_and_maps_per_key(tenant: Tenant) -> None:
    tenant.project.write(
        "fay.yaml",
        """
        first_name: Fay
        email: fay@example.com
        tags: [b, a]
        attributes: {comms: {email_promo: true}}
        custom_attributes: {loyalty: {tier: gold}}
        """,
    )
    tenant.apply()
    tenant.project.write(
        "fay.yaml",
        """
        email: fay@example.com
        tags: [a, b, c]
        attributes: {comms: {email_promo: false}}
        custom_attributes: {loyalty: {tier: gold, points: 10}}
        """,
    )
    result = tenant.cli("plan")
    assert "~ update fay" in result.stdout
    assert 'tags: ["a", "b"] → ["a", "b", "c"]' in result.stdout
    assert "attributes.comms.email_promo: true → false" in result.stdout
    assert "custom_attributes.loyalty.points: (none) → 10" in result.stdout
    assert "first_name" not in result.stdout  # no longer declared: left alone, not cleared
    assert "custom_attributes.loyalty.tier" not in result.stdout


def test_delete_and_purge_need_their_flags(tenant: Tenant) -> None:
    tenant.project.write("gone.yaml", "email: gone@example.com\n")
    tenant.project.write("erased.yaml", "email: erased@example.com\n")
    tenant.project.write("absent.yaml", "email: absent@example.com\n")
    tenant.apply()
    tenant.project.remove("gone.yaml")
    tenant.project.write("erased.yaml", "state: purged\nerasure: {reference: GDPR-42}\n")
    tenant.project.write("absent.yaml", "state: absent\n")

    held = tenant.cli("plan", "--detailed-exitcode")
    assert held.exit_code == 2, held.output  # withheld changes are drift, never "no changes"
    assert "Not planned: 2 to delete; pass --allow-delete to plan them: absent, gone" in held.stdout
    assert "Not planned: 1 to purge; pass --allow-purge to plan them: erased" in held.stdout
    assert "No changes" not in held.output
    assert (
        "0 unchanged; withheld: 2 to delete (needs --allow-delete), 1 to purge (needs "
        "--allow-purge)" in held.stdout
    )
    _, withheld = _plan(tenant)
    assert withheld["summary"]["withheld"] == 3
    assert withheld["withheld"] == [
        {"action": "delete", "flag": "--allow-delete", "key": "absent", "reason": "absent"},
        {"action": "purge", "flag": "--allow-purge", "key": "erased", "reason": "purged"},
        {"action": "delete", "flag": "--allow-delete", "key": "gone", "reason": "undeclared"},
    ]

    result, report = _plan(tenant, "--allow-delete", "--allow-purge")
    assert "- delete absent" in result.stdout and "- delete gone" in result.stdout
    assert "! purge erased" in result.stdout
    assert report["summary"]["delete"] == 2 and report["summary"]["purge"] == 1
    assert report["allow_delete"] and report["allow_purge"]
    applied = tenant.cli(
        "apply", str(tenant.project.plans / "p.json"), "--allow-delete", "--allow-purge"
    )
    assert applied.exit_code == 0, applied.output
    assert "No changes" in tenant.cli("plan", "--allow-delete", "--allow-purge").stdout


def test_unmanaged_profiles_never_appear(tenant: Tenant) -> None:
    tenant.seed(email="stranger@example.com")
    result = tenant.cli("plan", "--allow-delete", "--detailed-exitcode")
    assert result.exit_code == 0, result.output
    assert "0 to delete" in result.stdout


# -- conflicts -----------------------------------------------------------------------------


def test_ambiguous_two_tenant_profiles_match_one_declaration(tenant: Tenant) -> None:
    by_identity = tenant.seed(
        email="h1@example.com", identities=[{"handle": "shopify", "identifier": "81"}]
    )
    by_email = tenant.seed(email="hana@example.com")
    tenant.project.write("hana.yaml", "email: hana@example.com\nidentities: {shopify: '81'}\n")
    result, report = _plan(tenant)
    assert result.exit_code == 1
    assert "✗ conflict (ambiguous) hana: matches 2 different tenant profiles" in result.stdout
    assert "declared email h***@example.com, identities.shopify 81" in result.stdout
    assert "1 conflicts: resolve them in profiles.d/" in result.stderr
    (conflict,) = report["conflicts"]
    assert conflict["fields"] == ["email", "identities.shopify"]
    assert sorted(conflict["profile_ids"]) == sorted([by_identity, by_email])


def test_contested_one_tenant_profile_matched_by_two_declarations(tenant: Tenant) -> None:
    shared = tenant.seed(email="ivy@example.com", mobile_phone="+61412000111")
    tenant.project.write("ivy-a.yaml", "email: ivy@example.com\n")
    tenant.project.write("ivy-b.yaml", "mobile_phone: '0412 000 111'\n")
    result = tenant.cli("plan")
    assert result.exit_code == 1
    assert (
        f"✗ conflict (contested) ivy-a, ivy-b: tenant profile {shared} is matched by 2 "
        "declared profiles" in result.stdout
    )
    assert "+61 4** *** 111" in result.stdout and "0412" not in result.stdout


def test_taken_a_managed_profiles_new_email_belongs_to_someone_else(tenant: Tenant) -> None:
    tenant.project.write("jo.yaml", "email: jo.old@example.com\n")
    tenant.apply()
    tenant.seed(email="jo@example.com")
    tenant.project.write("jo.yaml", "email: jo@example.com\n")
    result = tenant.cli("plan")
    assert result.exit_code == 1
    assert (
        "✗ conflict (taken) jo: email j***@example.com belongs to an unmanaged profile"
        in result.stdout
    )
    assert "~ update jo" not in result.stdout


def test_taken_a_new_mobile_that_another_managed_profile_keeps(tenant: Tenant) -> None:
    tenant.project.write("kai.yaml", "email: kai@example.com\nmobile_phone: '+61412000222'\n")
    tenant.project.write("lee.yaml", "email: lee@example.com\n")
    tenant.apply()
    tenant.project.write("lee.yaml", "email: lee@example.com\nmobile_phone: '+61412000222'\n")
    tenant.project.write("kai.yaml", "email: kai@example.com\n")  # kai no longer manages mobile
    result = tenant.cli("plan")
    assert result.exit_code == 1
    assert "belongs to the profile managed as 'kai', which keeps it" in result.stdout


def test_two_managed_profiles_swapping_emails_is_not_a_conflict(tenant: Tenant) -> None:
    tenant.project.write("mo.yaml", "email: mo@example.com\n")
    tenant.project.write("ned.yaml", "email: ned@example.com\n")
    tenant.apply()
    tenant.project.write("mo.yaml", "email: ned@example.com\n")
    tenant.project.write("ned.yaml", "email: mo@example.com\n")
    result = tenant.cli("plan")
    assert result.exit_code == 0, result.output
    assert "2 to update" in result.stdout and "0 conflicts" in result.stdout


def test_no_adopt_turns_adoption_into_a_conflict(tenant: Tenant) -> None:
    existing = tenant.seed(email="olu@example.com")
    tenant.project.write("olu.yaml", "email: olu@example.com\n")
    result = tenant.cli("plan", "--no-adopt")
    assert result.exit_code == 1
    assert f"✗ conflict (no-adopt) olu: matches unmanaged profile {existing} by email" in (
        result.stdout
    )


def test_allow_conflicts_skips_and_lists_conflicting_profiles(tenant: Tenant) -> None:
    tenant.seed(email="pat@example.com", mobile_phone="+61412000333")
    tenant.project.write("pat-a.yaml", "email: pat@example.com\n")
    tenant.project.write("pat-b.yaml", "mobile_phone: '+61412000333'\n")
    tenant.project.write("quin.yaml", "email: quin@example.com\n")
    result, report = _plan(tenant, "--allow-conflicts", "--detailed-exitcode")
    assert result.exit_code == 2, result.output
    assert "Skipped because of conflicts (--allow-conflicts): pat-a, pat-b" in result.stdout
    assert [c["key"] for c in report["changes"]] == ["quin"]
    assert report["allow_conflicts"] is True


def test_apply_refuses_a_saved_plan_with_conflicts_unless_planned_to_skip_them(
    tenant: Tenant,
) -> None:
    tenant.seed(email="rae@example.com", mobile_phone="+61412000444")
    tenant.project.write("rae-a.yaml", "email: rae@example.com\n")
    tenant.project.write("rae-b.yaml", "mobile_phone: '+61412000444'\n")
    tenant.project.write("sol.yaml", "email: sol@example.com\n")
    _plan(tenant, name="conflicted.json")
    refused = tenant.cli("apply", str(tenant.project.plans / "conflicted.json"))
    assert refused.exit_code == 1
    assert "the plan has 1 conflicts" in refused.stderr
    assert (
        tenant.api.get("/profiles", params={"filter[email]": "sol@example.com"}).json()["data"]
        == []
    )

    _plan(tenant, "--allow-conflicts", name="skipping.json")
    applied = tenant.cli("apply", str(tenant.project.plans / "skipping.json"))
    assert applied.exit_code == 0, applied.output
    assert (
        len(tenant.api.get("/profiles", params={"filter[email]": "sol@example.com"}).json()["data"])
        == 1
    )


# -- selectors, saved plans, show ----------------------------------------------------------


def test_selectors_restrict_the_plan_and_deletes_and_are_recorded(tenant: Tenant) -> None:
    for key in ("vip-ann", "vip-bo", "std-cy"):
        tenant.project.write(f"{key}.yaml", f"email: {key}@example.com\n")
    tenant.apply()
    for key in ("vip-ann", "vip-bo", "std-cy"):
        tenant.project.remove(f"{key}.yaml")
    result, report = _plan(tenant, "--allow-delete", "--target", "vip-*", "--exclude", "vip-bo")
    assert [c["key"] for c in report["changes"]] == ["vip-ann"]
    assert report["selectors"] == {"target": ["vip-*"], "exclude": ["vip-bo"], "shard": None}
    assert "(target vip-*; exclude vip-bo)" in result.stdout


def test_shards_cover_every_key_once_deletes_included(tenant: Tenant) -> None:
    keys = [f"s{n:02d}" for n in range(12)]
    for key in keys:
        tenant.project.write(f"{key}.yaml", f"email: {key}@example.com\n")
    tenant.apply()
    for key in keys[:4]:
        tenant.project.remove(f"{key}.yaml")
    for key in keys[4:]:
        tenant.project.write(f"{key}.yaml", f"email: {key}@example.com\ntags: [x]\n")
    planned: list[str] = []
    for shard in ("1/3", "2/3", "3/3"):
        result, report = _plan(tenant, "--allow-delete", "--shard", shard, name=f"{shard[0]}.json")
        assert result.exit_code == 0, result.output
        assert report["selectors"]["shard"] == shard
        planned += [c["key"] for c in report["changes"]]
    assert sorted(planned) == keys


def test_a_bad_shard_is_a_usage_error(tenant: Tenant) -> None:
    result = tenant.cli("plan", "--shard", "4/3")
    assert result.exit_code == 2
    assert "--shard" in result.output


def test_a_saved_plan_records_what_apply_and_reviewers_need(tenant: Tenant) -> None:
    tenant.project.write("rae.yaml", "first_name: Rae\nemail: rae@example.com\n")
    tenant.apply()
    tenant.project.write("rae.yaml", "first_name: Raelene\nemail: rae@example.com\n")
    assert tenant.cli("plan", "-o", str(tenant.project.plans / "p.json")).exit_code == 0
    saved = json.loads((tenant.project.plans / "p.json").read_text())
    assert saved["format_version"] == 1
    assert saved["tenant"] == tenant.url
    assert len(saved["inputs_digest"]) == 64 and len(saved["checksum"]) == 64
    (change,) = saved["changes"]
    assert change["fingerprint"] and change["profile_id"]
    assert change["fields"][0]["before"] == "R***"  # the tenant's value, masked
    assert change["fields"][0]["after"] == "Raelene"  # from profiles.d/, which git holds


def test_the_default_plan_name_has_the_tenant_and_time(tenant: Tenant) -> None:
    tenant.project.write("sol.yaml", "email: sol@example.com\n")
    result = tenant.cli("plan")
    (saved,) = tenant.project.saved_plans()
    assert saved.name.startswith("env-") and f"Saved plan to {saved}" in result.stderr


@pytest.mark.parametrize("fmt", ["text", "markdown", "json", "html"])
def test_show_renders_a_saved_plan_in_every_format_masked(tenant: Tenant, fmt: str) -> None:
    tenant.project.write("tia.yaml", "first_name: Tia\nemail: tia@example.com\n")
    tenant.cli("plan", "-o", str(tenant.project.plans / "p.json"))
    shown = tenant.cli("show", str(tenant.project.plans / "p.json"), "--format", fmt)
    assert shown.exit_code == 0, shown.output
    assert "tia" in shown.stdout  # the key is not personal data
    assert "Tia" not in shown.stdout and "tia@example.com" not in shown.stdout
    revealed = tenant.cli("show", str(tenant.project.plans / "p.json"), "-f", fmt, "--show-pii")
    assert "tia@example.com" in revealed.stdout


def test_an_unknown_format_is_a_usage_error(tenant: Tenant) -> None:
    result = tenant.cli("plan", "--format", "yaml")
    assert result.exit_code == 2
    assert "unknown format 'yaml'" in result.output


def test_a_plan_that_updates_too_many_profiles_is_unsafe(tenant: Tenant) -> None:
    for n in range(10):
        tenant.project.write(f"u{n}.yaml", f"email: u{n}@example.com\n")
    tenant.apply()
    for n in range(4):
        tenant.project.write(f"u{n}.yaml", f"email: u{n}@example.com\ntags: [t]\n")
    result, report = _plan(tenant)
    assert "UNSAFE: too many updates: 4 of 10 managed profiles (40.0%)" in result.stdout
    assert report["unsafe"]
    refused = tenant.cli("apply", str(tenant.project.plans / "p.json"))
    assert refused.exit_code == 1 and "--force" in refused.stderr


def test_a_target_that_selects_nothing_is_an_error_not_an_empty_plan(tenant: Tenant) -> None:
    tenant.project.write("uma.yaml", "email: uma@example.com\n")
    result = tenant.cli("plan", "--target", "umma")
    assert result.exit_code == 1
    assert "--target 'umma' matches no declared or managed profile key" in result.stderr


def test_plan_and_show_print_the_same_report(tenant: Tenant) -> None:
    tenant.project.write("vic.yaml", "first_name: Vic\nemail: vic@example.com\n")
    tenant.apply()
    tenant.project.write("vic.yaml", "first_name: Victor\nemail: vic@example.com\n")
    for fmt in ("json", "markdown"):
        planned = tenant.cli("plan", "-o", str(tenant.project.plans / "p.json"), "-f", fmt)
        shown = tenant.cli("show", str(tenant.project.plans / "p.json"), "-f", fmt)
        assert planned.stdout == shown.stdout


def test_a_purge_shows_the_erasure_request_it_carries_out(tenant: Tenant) -> None:
    tenant.project.write("wes.yaml", "email: wes@example.com\n")
    tenant.apply()
    tenant.project.write("wes.yaml", "state: purged\nerasure: {reference: DSR-2026-0042}\n")
    result = tenant.cli("plan", "--allow-purge")
    assert "! purge wes" in result.stdout
    assert "erasure.reference: (none) → DSR-2026-0042" in result.stdout


def test_each_declared_value_is_looked_up_once_and_exactly(tenant: Tenant) -> None:
    tenant.project.write("managed.yaml", "email: managed@example.com\n")
    tenant.apply()
    for n in range(4):
        tenant.project.write(
            f"new{n}.yaml",
            f"email: new{n}@example.com\nmobile_phone: '+6141200{n:04d}'\n"
            f"identities: {{shopify: 'S{n}'}}\n",
        )
    _, report = _plan(tenant)
    # listings of the owner handle and of soft-deleted profiles, then identity, email and mobile
    # of each new profile
    assert report["api_calls"] == 2 + 4 * 3
    assert report["summary"]["create"] == 4 and report["unchanged"] == 1


def test_a_plan_with_conflicts_offers_no_apply_command(tenant: Tenant) -> None:
    tenant.seed(email="olu@example.com")
    tenant.project.write("olu.yaml", "email: olu@example.com\n")

    refused = tenant.cli("plan", "--no-adopt")
    skipped = tenant.cli("plan", "--no-adopt", "--allow-conflicts")

    assert refused.exit_code == 1
    assert "apply it with" not in refused.stderr
    assert "cannot be applied while it holds conflicts" in refused.stderr
    assert "apply it with: reconcile -C" in skipped.stderr
