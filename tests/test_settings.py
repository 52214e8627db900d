from __future__ import annotations

from pathlib import Path

import pytest

from reconcile.errors import ConfigError
from reconcile.settings import LOCAL_TENANT, load_settings, resolve_target


def test_a_fresh_project_targets_the_embedded_sandbox(tmp_path: Path) -> None:
    settings = load_settings(tmp_path)
    target = resolve_target(settings, None, {})
    assert target.name == LOCAL_TENANT
    assert target.kind == "test"
    assert target.sandbox_db == tmp_path / ".reconcile" / "sandbox.db"


def test_named_tenant_reads_its_token_from_the_named_variable(tmp_path: Path) -> None:
    (tmp_path / "reconcile.toml").write_text(
        '[tenants.staging]\nurl = "https://api.acme.getomneo.com/api/v3/"\n'
        'token_env = "STAGING_TOKEN"\nkind = "test"\nrps = 5\n'
    )
    target = resolve_target(load_settings(tmp_path), "staging", {"STAGING_TOKEN": "s3cret"})
    assert target.url == "https://api.acme.getomneo.com/api/v3"
    assert target.token.get_secret_value() == "s3cret"
    assert "s3cret" not in repr(target)
    assert target.rps == 5


def test_missing_token_names_the_variable_not_a_value(tmp_path: Path) -> None:
    (tmp_path / "reconcile.toml").write_text(
        '[tenants.prod]\nurl = "https://api.acme.getomneo.com/api/v3"\ntoken_env = "PROD_TOKEN"\n'
    )
    with pytest.raises(ConfigError, match="PROD_TOKEN holds no token"):
        resolve_target(load_settings(tmp_path), "prod", {})


def test_environment_overrides_for_one_off_runs(tmp_path: Path) -> None:
    env = {"OMNEO_URL": "https://api.x.getomneo.com/api/v3", "OMNEO_TOKEN": "t"}
    target = resolve_target(load_settings(tmp_path), None, env)
    assert target.url == env["OMNEO_URL"]
    with pytest.raises(ConfigError, match="OMNEO_TOKEN is not"):
        resolve_target(load_settings(tmp_path), None, {"OMNEO_URL": env["OMNEO_URL"]})


def test_unknown_tenant_lists_the_configured_ones(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="unknown tenant 'nope'; configured tenants: local"):
        resolve_target(load_settings(tmp_path), "nope", {})


def test_pyproject_tool_section_and_bad_values(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.reconcile]\nphone_region = "NZ"\n')
    assert load_settings(tmp_path).phone_region == "NZ"
    (tmp_path / "reconcile.toml").write_text('phone_region = "nz"\nowner = "x"\n')
    with pytest.raises(ConfigError, match=r"reconcile.toml: phone_region: .*owner: Extra"):
        load_settings(tmp_path)


@pytest.mark.parametrize("region", ["XX", "au", "A1", "AUS"])
def test_an_unknown_phone_region_is_refused_when_the_config_is_read(
    tmp_path: Path, region: str
) -> None:
    (tmp_path / "reconcile.toml").write_text(f'phone_region = "{region}"\n')

    with pytest.raises(ConfigError) as raised:
        load_settings(tmp_path)

    assert str(raised.value) == (
        f"reconcile.toml: phone_region: {region!r} is not a region phone numbers are known for; "
        'write a two-letter ISO 3166 code in capitals, e.g. phone_region = "AU"'
    )


def test_a_known_phone_region_is_kept(tmp_path: Path) -> None:
    (tmp_path / "reconcile.toml").write_text('phone_region = "NZ"\n')
    assert load_settings(tmp_path).phone_region == "NZ"
