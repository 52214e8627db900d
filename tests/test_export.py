"""End to end: export what a tenant holds, then plan over the export: only adoptions."""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import phonenumbers
import pytest

from reconcile.export.declaration import check_declaration, declaration_of
from reconcile.export.exporter import ExportOptions, export_profiles
from reconcile.model.observed import ObservedProfile
from reconcile.sandbox import ServedSandbox
from reconcile.settings import load_settings, resolve_target
from reconcile.tenant.client import OmneoClient
from tests.conftest import Project

FIRST = ["José", "Zoë", "Amélie", "Søren", "Chloé", "Łukasz", "Noémie", "Björn", "Aoife", "Mia"]
LAST = ["Álvarez", "Müller", "Dubois", "O'Brien", "Nguyễn", "García", "Kowalski", "Smith"]
# Mobile prefixes that phonenumbers accepts, in several regions; the rest of the digits vary.
MOBILES = {"AU": "+61412", "GB": "+447911", "NZ": "+6421", "DE": "+49151", "FR": "+3361"}
TAGS = ["vip", "newsletter", "wholesale", "mobile app", "staff"]


def synthetic_profile(n: int) -> dict[str, Any]:
    """A deterministic, varied, Omneo-shaped profile body (the same n gives the same body)."""
    body: dict[str, Any] = {
        "first_name": FIRST[n % len(FIRST)],
        "last_name": LAST[(n // 3) % len(LAST)],
        "email": f"customer{n:05d}@example.com",
        "tags": sorted({TAGS[n % 5].replace(" ", "-"), TAGS[(n * 7) % 5].replace(" ", "-")}),
    }
    if n % 4 != 3:
        body["mobile_phone"] = _mobile(n)
    if n % 3 == 0:
        body.update(birth_day=1 + n % 28, birth_month=1 + n % 12, birth_year=1950 + n % 50)
    if n % 5 == 0:
        body["identities"] = [{"handle": "shopify", "identifier": f"{7000000 + n}"}]
    if n % 6 == 0:
        body.update(gender=("female", "male", "other")[n % 3], company=f"Shop {n % 17}")
    return body


def synthetic_declaration(n: int) -> dict[str, Any]:
    """The same profile as profiles.d/ declares it (identities as a handle → identifier map)."""
    body = synthetic_profile(n)
    identities = body.pop("identities", [])
    if identities:
        body["identities"] = {i["handle"]: i["identifier"] for i in identities}
    return body


def _mobile(n: int) -> str:
    region, prefix = list(MOBILES.items())[n % len(MOBILES)]
    width = 15 - len(prefix) if region != "AU" else 6
    number = f"{prefix}{n:0{min(width, 6)}d}"
    number += "0" * max(0, _length(region) - len(number))
    assert phonenumbers.is_valid_number(phonenumbers.parse(number)), number
    return number


def _length(region: str) -> int:
    return {"AU": 12, "GB": 13, "NZ": 12, "DE": 14, "FR": 12}[region]


def rich_fields(n: int) -> dict[str, Any]:
    """Fields another system sets that reconcile's own seeding does not: export must keep them."""
    fields: dict[str, Any] = {}
    if n % 4 == 1:
        fields.update(title="Dr", occupation="Nurse", currency="AUD", joined_location_id=3)
        fields["joined_at"] = f"2023-0{1 + n % 9}-1{n % 10} 09:30:00"
        fields["avatar_url"] = f"https://cdn.example.com/a/{n}.png"
    if n % 8 == 5:
        fields["secondary_phone"] = f"+6129{n:07d}"[:12]
    if n % 9 == 2:
        fields["addresses"] = [
            {
                "address_line_1": f"{n} Rue de l'Église",
                "city": "Montréal",
                "state": "QC",
                "postcode": "H2X 1Y4",
                "country": "Canada",
                "is_default": True,
            }
        ]
    return fields


async def _extras(client: OmneoClient, profile_id: str, n: int) -> None:
    if n % 2 == 0:
        await client.update_comms(profile_id, {"email_promo": n % 4 == 0, "sms_optout": True})
    if n % 7 == 0:
        await client.put_custom_attribute(profile_id, "loyalty", "tier", "string", "gold")
        await client.put_custom_attribute(profile_id, "loyalty", "orders", "integer", n % 40)
        await client.put_custom_attribute(profile_id, "loyalty", "score", "float", 2)


def create_unmanaged(
    project: Project,
    count: int,
    *,
    start: int = 0,
    tenant: str | None = None,
    env: dict[str, str] | None = None,
) -> list[str]:
    """Create profiles straight through the sandbox API, as another system would: no owner."""

    async def create() -> list[str]:
        target = resolve_target(load_settings(project.root), tenant, env or {})
        async with OmneoClient.open(target) as client:

            async def one(n: int) -> str:
                created = await client.create_profile({**synthetic_profile(n), **rich_fields(n)})
                await _extras(client, created.id, n)
                return created.id

            return list(await asyncio.gather(*(one(n) for n in range(start, start + count))))

    return asyncio.run(create())


def tenant_profiles(project: Project) -> dict[str, dict[str, Any]]:
    """Every live profile on the project's sandbox tenant, by id, as flat views."""

    async def fetch() -> dict[str, dict[str, Any]]:
        target = resolve_target(load_settings(project.root), None, {})
        found: dict[str, dict[str, Any]] = {}
        async with OmneoClient.open(target) as client:
            number, last = 1, 1
            while number <= last:
                page = await client.list_profiles_page({}, number=number)
                found.update({p.id: p.fields for p in page.profiles})
                number, last = number + 1, page.last_page
        return found

    return asyncio.run(fetch())


def saved_plan(project: Project, *args: str, env: dict[str, str] | None = None) -> dict[str, Any]:
    path = project.plans / "check.json"
    result = project.cli("plan", "-o", str(path), *args, env=env)
    assert result.exit_code == 0, result.output
    return dict(json.loads(path.read_text()))


def exported_files(project: Project) -> Iterator[Path]:
    return iter(sorted(project.profiles.rglob("*.yaml")))


def test_export_of_500_unmanaged_profiles_then_a_plan_of_only_adoptions(project: Project) -> None:
    assert_export_adopts_everything(project, 500)


def assert_export_adopts_everything(project: Project, count: int) -> None:
    ids = create_unmanaged(project, count)

    exported = project.cli("export", "--page-size", "50")
    assert exported.exit_code == 0, exported.output
    assert f"Exported {count} profiles" in exported.stderr
    assert len(list(exported_files(project))) == count

    plan = saved_plan(project)
    assert sorted(c["profile_id"] for c in plan["changes"]) == sorted(ids)
    assert {c["action"] for c in plan["changes"]} == {"adopt"}
    for change in plan["changes"]:  # the owner identity is the only change
        assert [f["field"] for f in change["fields"]] == ["identities.reconcile"], change
        assert change["fields"][0]["after"] == change["key"]

    applied = project.cli("apply", "--auto-approve")
    assert applied.exit_code == 0, applied.output
    again = project.cli("plan", "--detailed-exitcode")
    assert again.exit_code == 0, again.output
    assert f"{count} unchanged" in again.stdout


def test_reexport_keeps_hand_written_comments_and_formatting(project: Project) -> None:
    project.write(
        "customers/regulars.yaml",
        """
        # Regular customers, curated by hand.
        profiles:
          - key: jose            # our first customer
            first_name: José
            email: customer00000@example.com
            mobile_phone: "+61 412 000 000"   # written the local way on purpose
            tags: [newsletter, vip]
        """,
    )
    create_unmanaged(project, 1)
    assert project.cli("apply", "--auto-approve").exit_code == 0
    untouched = (project.profiles / "customers/regulars.yaml").read_text()

    first = project.cli("export")
    assert first.exit_code == 0, first.output
    after_first = (project.profiles / "customers/regulars.yaml").read_text()
    # The tenant holds more than the file declares: export adds it, and changes nothing else.
    assert_lines_kept(untouched, after_first)
    assert "last_name: Álvarez" in after_first
    assert not (project.profiles / "jose.yaml").exists()  # updated in place, not duplicated

    second = project.cli("export")
    assert second.exit_code == 0, second.output
    assert (project.profiles / "customers/regulars.yaml").read_text() == after_first
    assert "0 new, 0 updated, 1 unchanged" in second.stderr


def test_reexport_writes_only_what_moved_on_the_tenant(project: Project) -> None:
    create_unmanaged(project, 3)
    assert project.cli("export").exit_code == 0
    path = project.profiles / "customer00001.yaml"
    lines = [
        f"{line}  # hi" if line.startswith("tags:") else line
        for line in path.read_text().splitlines()
    ]
    path.write_text("# Kept by hand.\n" + "\n".join(lines) + "\n")
    assert project.cli("apply", "--auto-approve").exit_code == 0
    _update_on_tenant(project, "customer00001", {"company": "Tienda Ñandú", "tags": ["vip"]})

    result = project.cli("export")
    assert result.exit_code == 0, result.output
    text = path.read_text()
    assert text.startswith("# Kept by hand.\n# Exported by `reconcile export`")
    assert "company: Tienda Ñandú\n" in text
    assert re.search(r"^tags: \[vip\] +# hi$", text, re.MULTILINE), text
    assert saved_plan(project)["changes"] == []


def assert_lines_kept(before: str, after: str) -> None:
    """Every line of ``before`` is still in ``after``, in the same order."""
    remaining = iter(after.splitlines())
    for line in before.splitlines():
        assert any(line == candidate for candidate in remaining), f"lost or moved: {line!r}"


def _update_on_tenant(project: Project, key: str, fields: dict[str, Any]) -> None:
    async def update() -> None:
        target = resolve_target(load_settings(project.root), None, {})
        async with OmneoClient.open(target) as client:
            found = await client.find_by_identity("reconcile", key)
            assert found is not None
            await client.update_profile(found.id, fields)

    asyncio.run(update())


@pytest.mark.parametrize(
    ("split", "expected"),
    [
        ("profile", {f"customer0000{n}.yaml" for n in range(6)}),
        ("letter", {"c.yaml"}),
        ("none", {"profiles.yaml"}),
        ("tag", {"newsletter.yaml", "staff.yaml", "vip.yaml", "mobile-app.yaml"}),
    ],
)
def test_split_chooses_the_files_and_output_is_byte_for_byte_stable(
    project: Project, split: str, expected: set[str]
) -> None:
    create_unmanaged(project, 6)
    out_a, out_b = project.profiles / "a", project.root / "elsewhere"
    assert project.cli("export", "--split", split, "--out", str(out_a)).exit_code == 0
    assert project.cli("export", "--split", split, "--out", str(out_b)).exit_code == 0
    names = {p.name for p in out_a.iterdir()}
    assert names == expected
    for path in out_a.iterdir():  # block style, one profile after the other
        text = path.read_text()
        keys = re.findall(r"^(?:  - )?key: (\S+)", text, re.MULTILINE)
        assert keys == sorted(keys) and len(keys) == text.count("key: "), text
        assert "{" not in text  # no flow-style mappings
    for name in names:
        assert (out_a / name).read_bytes() == (out_b / name).read_bytes()
    for path in out_a.iterdir():  # no export times in the comments
        comments = [line.partition("#")[2] for line in path.read_text().splitlines()]
        assert not any(re.search(r"\d{4}-\d{2}-\d{2}", comment) for comment in comments)
    plan = saved_plan(project)
    assert len(plan["changes"]) == 6 and {c["action"] for c in plan["changes"]} == {"adopt"}


def test_selection_by_filter_tag_identity_handle_and_search(project: Project) -> None:
    create_unmanaged(project, 20)
    selections = {
        ("--filter", "email=customer00003@example.com"): {"customer00003"},
        ("--tag", "wholesale"): {
            f"customer{n:05d}" for n in range(20) if "wholesale" in synthetic_profile(n)["tags"]
        },
        ("--tag", "wholesale", "--tag", "staff"): {
            f"customer{n:05d}"
            for n in range(20)
            if {"wholesale", "staff"} & set(synthetic_profile(n)["tags"])
        },
        ("--identity-handle", "shopify"): {f"customer{n:05d}" for n in (0, 5, 10, 15)},
        ("--search", "customer00019@example.com"): {"customer00019"},
    }
    for args, keys in selections.items():
        out = project.root / "selected" / "-".join(args).strip("-").replace("=", "-")
        result = project.cli("export", *args, "--out", str(out))
        assert result.exit_code == 0, result.output
        assert {p.stem for p in out.glob("*.yaml")} >= keys, args
        if args[0] != "--search":  # fuzzy search may return near matches too
            assert {p.stem for p in out.glob("*.yaml")} == keys, args


def test_an_unknown_filter_is_a_clear_error(project: Project) -> None:
    result = project.cli("export", "--filter", "shoe_size=42")
    assert result.exit_code == 1
    assert "shoe_size" in result.stderr and "Traceback" not in result.output
    bad = project.cli("export", "--identity-handle", "shopify", "--tag", "vip")
    assert bad.exit_code == 1 and "cannot be combined" in bad.stderr


def test_keys_from_a_template_or_an_identity_with_deterministic_collisions(
    project: Project,
) -> None:
    create_unmanaged(project, 12)
    (later,) = create_unmanaged(project, 1, start=50)  # José Álvarez again, with another email
    by_name = project.root / "by-name"
    template = "{first_name}-{last_name}"
    result = project.cli("export", "--key-template", template, "--out", str(by_name))
    assert result.exit_code == 0, result.output
    keys = sorted(p.stem for p in by_name.glob("*.yaml"))
    assert "zoe-alvarez" in keys and "jose-o-brien" in keys  # accents folded, slugged
    # The older José Álvarez keeps the plain key; the later one gets a digest of its id.
    suffix = hashlib.sha256(later.encode()).hexdigest()[:6]
    assert [k for k in keys if k.startswith("jose-alvarez")] == [
        "jose-alvarez",
        f"jose-alvarez-{suffix}",
    ]
    again = project.root / "by-name-again"
    project.cli("export", "--key-template", template, "--out", str(again))
    assert sorted(p.stem for p in again.glob("*.yaml")) == keys

    by_shopify = project.root / "by-shopify"
    result = project.cli("export", "--key-identity", "shopify", "--out", str(by_shopify))
    assert result.exit_code == 0, result.output
    stems = {p.stem for p in by_shopify.glob("*.yaml")}
    assert {"7000000", "7000005", "7000010"} <= stems and "customer00001" in stems

    bad = project.cli("export", "--key-template", "{shoe_size}")
    assert bad.exit_code == 1 and "unknown placeholder {shoe_size}" in bad.stderr


def test_export_leaves_template_files_and_the_profiles_they_declare_alone(
    project: Project,
) -> None:
    template = project.write(
        "seed/team.yaml.j2",
        """
        {# A small team, declared by a template. #}
        profiles:
        {% for n in range(3) %}
          - key: team-{{ n }}
            email: team{{ n }}@example.com
            first_name: Member
        {% endfor %}
        """,
    )
    original = template.read_bytes()
    assert project.cli("apply", "--auto-approve").exit_code == 0
    create_unmanaged(project, 2)

    result = project.cli("export")
    assert result.exit_code == 0, result.output
    assert "3 profiles are declared by templates: left alone" in result.stderr
    assert template.read_bytes() == original
    assert sorted(p.name for p in project.profiles.rglob("*.yaml")) == [
        "customer00000.yaml",
        "customer00001.yaml",
    ]
    plan = saved_plan(project)
    assert [c["action"] for c in plan["changes"]] == ["adopt", "adopt"]


def test_a_value_that_would_not_load_back_is_left_out_and_reported() -> None:
    observed = ObservedProfile.from_api(
        {
            "id": "3f1c0f4e-0000-4000-8000-000000000001",
            "first_name": "Ana",
            "email": "ana@example.com",
            "mobile_phone": "0412",  # not a phone number: Omneo holds it, a declaration can't
            "tags": ["vip"],
            "birth_day": "7",  # Omneo's examples render birth parts as text
            "custom_attributes": {"crm": {"score": 1.5}},
        }
    )
    declaration = declaration_of(observed, owner_handle="reconcile", types={})
    problems = check_declaration("ana", declaration, observed, "AU")
    assert problems == [{"field": "mobile_phone", "reason": "Omneo's value does not validate"}]
    assert declaration == {
        "birth_day": 7,
        "email": "ana@example.com",
        "first_name": "Ana",
        "tags": ["vip"],
        "custom_attributes": {"crm": {"score": 1.5}},
    }


def test_a_profile_with_nothing_to_match_it_by_is_not_exported() -> None:
    observed = ObservedProfile.from_api(
        {"id": "3f1c0f4e-0000-4000-8000-000000000002", "first_name": "Unknown"}
    )
    declaration = declaration_of(observed, owner_handle="reconcile", types={})
    problems = check_declaration("x", declaration, observed, "AU")
    assert problems[-1]["field"] == "*"
    assert "no email, mobile or identity" in problems[-1]["reason"]


def test_progress_is_reported_page_by_page(project: Project) -> None:
    create_unmanaged(project, 7)
    seen: list[tuple[int, int]] = []

    async def run() -> None:
        target = resolve_target(load_settings(project.root), None, {})
        options = ExportOptions(out=project.profiles, tenant="local", page_size=3)
        async with OmneoClient.open(target) as client:
            result = await export_profiles(
                client, options, on_progress=lambda d, t: seen.append((d, t))
            )
        assert result.exported == 7

    asyncio.run(run())
    assert seen == [(3, 7), (6, 7), (7, 7)]


def test_reexport_into_group_files_updates_entries_and_inserts_new_ones_in_key_order(
    project: Project,
) -> None:
    create_unmanaged(project, 4)
    assert project.cli("export", "--split", "letter").exit_code == 0
    group = project.profiles / "c.yaml"
    group.write_text(group.read_text().replace("profiles:\n", "profiles:  # all of them\n", 1))
    assert project.cli("apply", "--auto-approve").exit_code == 0
    _update_on_tenant(project, "customer00002", {"first_name": "Amélia"})
    create_unmanaged(project, 1, start=9)

    result = project.cli("export", "--split", "letter")
    assert result.exit_code == 0, result.output
    text = group.read_text()
    assert "profiles:  # all of them\n" in text
    assert "first_name: Amélia\n" in text
    keys = re.findall(r"^  - key: (\S+)", text, re.MULTILINE)
    assert keys == sorted(keys) and "customer00009" in keys
    plan = saved_plan(project)
    assert [c["action"] for c in plan["changes"]] == ["adopt"]


def test_new_files_under_folder_defaults_still_plan_only_adoptions(project: Project) -> None:
    project.write(
        "_defaults.yaml",
        """
        company: Acme          # most of our customers are Acme staff...
        tags: [imported]
        attributes:
          comms:
            email_promo: true
        """,
    )
    create_unmanaged(project, 8)
    result = project.cli("export")
    assert result.exit_code == 0, result.output
    assert "left out" not in result.stderr
    customer = (project.profiles / "customer00001.yaml").read_text()
    assert "company: null" in customer  # ...but not this one: the default is overridden
    plan = saved_plan(project)
    assert len(plan["changes"]) == 8
    for change in plan["changes"]:
        assert [f["field"] for f in change["fields"]] == ["identities.reconcile"], change


def test_a_folder_default_a_file_cannot_override_is_reported(project: Project) -> None:
    project.write("_defaults.yaml", "custom_attributes: {source: {system: legacy}}\n")
    create_unmanaged(project, 1)
    result = project.cli("export")
    assert result.exit_code == 0, result.output
    assert (
        "left out: customer00000: custom_attributes.source.system: a folder default sets it "
        "and the tenant does not hold it"
    ) in result.stderr


def test_export_from_a_production_tenant_over_http_then_only_adoptions(
    project: Project, served_sandbox: ServedSandbox
) -> None:
    (project.root / "reconcile.toml").write_text(
        f'[tenants.prod]\nurl = "{served_sandbox.url}"\ntoken_env = "T"\nkind = "production"\n'
        "rps = 1000\n"
    )
    env = {"T": served_sandbox.token}
    create_unmanaged(project, 30, tenant="prod", env=env)

    exported = project.cli("export", "-t", "prod", "--page-size", "7", "--split", "tag", env=env)
    assert exported.exit_code == 0, exported.output  # reading is allowed on production
    assert "Exported 30 profiles" in exported.stderr
    plan = saved_plan(project, "-t", "prod", env=env)
    assert len(plan["changes"]) == 30
    assert {f["field"] for c in plan["changes"] for f in c["fields"]} == {"identities.reconcile"}
