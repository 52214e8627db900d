"""Export writes only file names Windows can check out; the loader refuses the others."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from reconcile.profiles.portable import portable_stem, windows_problem
from reconcile.settings import load_settings, resolve_target
from reconcile.tenant.client import OmneoClient
from tests.conftest import Project


def create_on_tenant(project: Project, bodies: list[dict[str, object]]) -> None:
    """Profiles made straight through the API, as another system would: no owner."""

    async def create() -> None:
        target = resolve_target(load_settings(project.root), None, {})
        async with OmneoClient.open(target) as client:
            for body in bodies:
                await client.create_profile(body)

    asyncio.run(create())


@pytest.mark.parametrize(
    "name",
    ["con.yaml", "CON.yaml", "prn.yml", "aux.txt.yaml", "Nul.yaml", "com1.yaml", "lpt9.yaml.j2",
     "com\u00b2.yaml", "aux .yaml", "folder.", "name "],
)  # fmt: skip
def test_windows_reserved_names_are_recognised(name: str) -> None:
    assert windows_problem(name) is not None
    assert windows_problem(portable_stem(name.split(".")[0]) + ".yaml") is None or name.endswith(
        (".", " ")
    )


@pytest.mark.parametrize("name", ["console.yaml", "com10.yaml", "jane.yaml", "aux-team.yaml"])
def test_ordinary_names_pass(name: str) -> None:
    assert windows_problem(name) is None


def test_export_picks_another_name_and_the_plan_adopts_them(project: Project) -> None:
    create_on_tenant(
        project,
        [
            {"email": "con@example.com", "first_name": "Con"},
            {"email": "aux.txt@example.com", "first_name": "Aux"},
            {"email": "nul@example.com", "first_name": "Nul", "tags": ["lpt1"]},
        ],
    )

    exported = project.cli("export")
    by_tag = project.cli("export", "--split", "tag", "--out", str(project.root / "tagged"))
    plan = project.cli("plan")

    assert exported.exit_code == 0, exported.output
    names = sorted(p.name for p in project.profiles.iterdir())
    assert names == ["aux_.txt.yaml", "con_.yaml", "nul_.yaml"]
    assert "key: con" in (project.profiles / "con_.yaml").read_text()
    assert by_tag.exit_code == 0, by_tag.output
    assert sorted(p.name for p in (project.root / "tagged").iterdir()) == [
        "lpt1_.yaml",
        "untagged.yaml",
    ]
    assert all(windows_problem(p.name) is None for p in Path(project.root).rglob("*.yaml"))
    assert plan.exit_code == 0, plan.output
    assert "3 to adopt" in plan.stdout and "0 conflicts" in plan.stdout


def test_the_loader_refuses_a_reserved_name(project: Project) -> None:
    project.write("con.yaml", "email: con@example.com\n")
    project.write("team/aux.txt.yaml", "key: aux\nemail: aux@example.com\n")
    project.write("fine.yaml", "email: fine@example.com\n")

    result = project.cli("validate")

    assert result.exit_code == 1, result.output
    assert "profiles.d/con.yaml: CON is a device name on Windows" in result.output
    assert "profiles.d/team/aux.txt.yaml: AUX is a device name on Windows" in result.output
    assert "rename it (a one-profile file keeps its key with `key:`" in result.output
    assert "fine.yaml" not in result.output
