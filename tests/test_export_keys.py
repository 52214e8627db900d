"""Export keys in any script: transliterated to readable ASCII, never dropped letters."""

from __future__ import annotations

import asyncio

import pytest

from reconcile.export.keys import slugify
from reconcile.settings import load_settings, resolve_target
from reconcile.tenant.client import OmneoClient
from tests.conftest import Project


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("zoë.ødegård", "zoe.odegard"),
        ("李雷", "li-lei"),
        ("王小明", "wang-xiao-ming"),
        ("김민수", "gim-min-su"),
        ("たなか", "tanaka"),
        ("Владимир.Путин", "vladimir.putin"),
        ("Αλέξανδρος", "alexandros"),
        ("Łukasz Żółć", "lukasz-zolc"),
        ("Ærøskøbing", "aeroskobing"),
        ("Straße", "strasse"),
        ("Nguyễn Văn Đức", "nguyen-van-duc"),
        ("Şükrü_Çağlar", "sukru_caglar"),
        ("José.Álvarez+news", "jose.alvarez-news"),
    ],
)
def test_names_from_many_scripts_become_readable_keys(text: str, key: str) -> None:
    assert slugify(text) == key


def _create(project: Project, bodies: list[dict[str, str]]) -> None:
    async def run() -> None:
        target = resolve_target(load_settings(project.root), None, {})
        async with OmneoClient.open(target) as client:
            for body in bodies:
                await client.create_profile(body)

    asyncio.run(run())


def test_export_keys_transliterate_email_local_parts_and_names(project: Project) -> None:
    _create(
        project,
        [
            {"first_name": "Zoë", "last_name": "Ødegård", "email": "zoë.ødegård@example.com"},
            {"first_name": "雷", "last_name": "李", "email": "李雷@example.com"},
        ],
    )
    result = project.cli("export")
    assert result.exit_code == 0, result.output
    assert sorted(p.stem for p in project.profiles.rglob("*.yaml")) == ["li-lei", "zoe.odegard"]

    by_name = project.root / "by-name"
    template = "{last_name}-{first_name}"
    result = project.cli("export", "--key-template", template, "--out", str(by_name))
    assert result.exit_code == 0, result.output
    assert sorted(p.stem for p in by_name.glob("*.yaml")) == ["li-lei", "odegard-zoe"]

    plan = project.cli("plan")  # the exported keys are valid keys: the tree loads and adopts
    assert plan.exit_code == 0, plan.output
    assert "0 to create, 2 to adopt, 0 to update" in plan.stdout, plan.stdout
