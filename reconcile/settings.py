"""Project configuration: paths, the owner handle, phone region and named tenants.

Read from ``reconcile.toml`` at the project root, or ``[tool.reconcile]`` in ``pyproject.toml``;
everything has a default, so a fresh clone works with no configuration at all against the built-in
``local`` tenant (the embedded sandbox under ``.reconcile/``)::

    # reconcile.toml
    owner_handle = "reconcile"
    phone_region = "AU"

    [tenants.staging]
    url = "https://api.acme-staging.getomneo.com/api/v3"
    token_env = "OMNEO_STAGING_TOKEN"   # the variable's name, never the token
    kind = "test"
    rps = 10

``OMNEO_URL`` and ``OMNEO_TOKEN`` override the chosen tenant for one-off runs.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator

from reconcile.errors import ConfigError
from reconcile.model.fields import IDENTITY_HANDLE_PATTERN
from reconcile.model.normalize import is_known_region
from reconcile.watch.config import WatchPolicy

LOCAL_TENANT = "local"
ENV_TENANT = "env"  # the name of the tenant OMNEO_URL and OMNEO_TOKEN give
_VARIABLE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
SANDBOX_URL = "http://sandbox.local/api/v3"  # in-process: never leaves the Python process


class TenantConfig(BaseModel):
    """One named tenant. ``url=None`` means the embedded sandbox."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    url: str | None = None
    token_env: str | None = None
    kind: Literal["test", "production"] = "production"
    concurrency: int = Field(default=8, ge=1, le=64)
    rps: float = Field(default=10.0, gt=0)
    max_creates: int = Field(default=1000, ge=0)
    watch: WatchPolicy = WatchPolicy()  # how `reconcile watch` treats it (reconcile/watch/)


class SandboxFaults(BaseModel):
    """Faults the embedded sandbox injects, for rehearsing apply against a misbehaving tenant.

    Off by default; set in ``[sandbox]`` of reconcile.toml for the in-process ``local`` tenant,
    and the defaults of ``reconcile sandbox serve``.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    latency_ms: float = Field(default=0, ge=0)
    rate_limit_rps: float | None = Field(default=None, gt=0)
    error_rate: float = Field(default=0, ge=0, le=1)
    throttle_rate: float = Field(default=0, ge=0, le=1)
    drop_rate: float = Field(default=0, ge=0, le=1)
    seed: int | None = None
    # The forms it answers in: Omneo's reference, or the SDK types' (docs/sandbox.md)
    answer_style: Literal["reference", "sdk"] = "reference"


class Settings(BaseModel):
    """The whole configuration, with paths resolved against the project root."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    root: Path = Path(".")
    profiles_dir: Path = Path("profiles.d")
    plans_dir: Path = Path("plans")
    state_dir: Path = Path(".reconcile")
    owner_handle: str = Field(default="reconcile", pattern=IDENTITY_HANDLE_PATTERN)
    phone_region: str | None = "AU"
    delete_threshold: float = Field(default=0.30, ge=0, le=1)
    threshold_floor: int = Field(default=10, ge=0)
    # Read symbolic links in profiles.d/ that lead out of it (refused by default: docs/profiles.md)
    follow_symlinks_outside: bool = False
    # The variable holding the key that signs saved plans (docs/plans.md); unset: unsigned.
    plan_key_env: str = Field(default="RECONCILE_PLAN_KEY", pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    tenants: dict[str, TenantConfig] = Field(default_factory=dict)
    sandbox: SandboxFaults = SandboxFaults()

    @field_validator("phone_region")
    @classmethod
    def _known_region(cls, value: str | None) -> str | None:
        # Refused here, once, rather than at every national number of the tree.
        if value is not None and not (re.fullmatch("[A-Z]{2}", value) and is_known_region(value)):
            raise ValueError(
                f"{value!r} is not a region phone numbers are known for; write a two-letter "
                'ISO 3166 code in capitals, e.g. phone_region = "AU"'
            )
        return value

    def path(self, relative: Path) -> Path:
        return relative if relative.is_absolute() else self.root / relative

    @property
    def sandbox_db(self) -> Path:
        return self.path(self.state_dir) / "sandbox.db"

    def plan_key(self, env: Mapping[str, str]) -> bytes | None:
        """The key that signs and checks saved plans, from ``plan_key_env``; None when unset."""
        value = env.get(self.plan_key_env, "")
        return value.encode() if value else None


class Target(BaseModel):
    """The tenant a command talks to, resolved from settings, flags and environment."""

    model_config = ConfigDict(frozen=True)

    name: str
    url: str
    token: SecretStr
    kind: Literal["test", "production"]
    concurrency: int
    rps: float
    max_creates: int
    sandbox_db: Path | None = None
    sandbox_faults: SandboxFaults = SandboxFaults()

    @property
    def is_sandbox(self) -> bool:
        return self.sandbox_db is not None


def load_settings(root: Path) -> Settings:
    """Read ``reconcile.toml`` (or ``[tool.reconcile]`` in ``pyproject.toml``) under ``root``."""
    data: dict[str, object] = {}
    config_file = root / "reconcile.toml"
    if config_file.exists():
        data = _read_toml(config_file)
    elif (root / "pyproject.toml").exists():
        tool = _read_toml(root / "pyproject.toml").get("tool", {})
        data = dict(tool.get("reconcile", {})) if isinstance(tool, dict) else {}
    try:
        return Settings.model_validate({**data, "root": root})
    except ValidationError as exc:
        where = config_file.name if config_file.exists() else "pyproject.toml [tool.reconcile]"
        reasons = "; ".join(
            f"{'.'.join(map(str, e['loc']))}: {e['msg'].removeprefix('Value error, ')}"
            for e in exc.errors()
        )
        raise ConfigError(f"{where}: {reasons}") from None


def _read_toml(path: Path) -> dict[str, object]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path.name}: not valid TOML: {exc}") from None


def resolve_target(settings: Settings, tenant: str | None, env: Mapping[str, str]) -> Target:
    """Pick the tenant: ``--tenant`` name, else ``OMNEO_URL``/``OMNEO_TOKEN``, else ``local``."""
    if tenant is None and env.get("OMNEO_URL"):
        return _from_environment(env)
    name = tenant or LOCAL_TENANT
    if name == LOCAL_TENANT and name not in settings.tenants:
        return _local_target(settings)
    if name not in settings.tenants:
        known = ", ".join(sorted({LOCAL_TENANT, *settings.tenants}))
        raise ConfigError(f"unknown tenant {name!r}; configured tenants: {known}")
    return _configured_target(name, settings.tenants[name], env)


def _local_target(settings: Settings) -> Target:
    from reconcile.sandbox import DEFAULT_TOKEN

    return Target(
        name=LOCAL_TENANT,
        url=SANDBOX_URL,
        token=SecretStr(DEFAULT_TOKEN),
        kind="test",
        concurrency=8,
        rps=1000.0,
        max_creates=1_000_000,
        sandbox_db=settings.sandbox_db,
        sandbox_faults=settings.sandbox,
    )


def _from_environment(env: Mapping[str, str]) -> Target:
    token = env.get("OMNEO_TOKEN")
    if not token:
        raise ConfigError("OMNEO_URL is set but OMNEO_TOKEN is not: export the tenant's API token")
    return Target(
        name=ENV_TENANT,
        url=env["OMNEO_URL"].rstrip("/"),
        token=checked_token(token, "OMNEO_TOKEN"),
        kind="production",
        concurrency=8,
        rps=10.0,
        max_creates=1000,
    )


def _configured_target(name: str, tenant: TenantConfig, env: Mapping[str, str]) -> Target:
    if tenant.url is None:
        raise ConfigError(f"tenant {name!r} has no url")
    variable = tenant.token_env or "OMNEO_TOKEN"
    token = env.get(variable)
    if not token:
        # A token pasted into token_env by mistake must not be printed: name it only if it
        # looks like a variable's name.
        if not _looks_like_a_name(variable):
            raise ConfigError(
                f"tenant {name!r}: token_env must be the NAME of the variable holding the token, "
                "and no variable of that name is set; if a token was pasted there, remove it "
                "from the file and rotate it"
            )
        raise ConfigError(f"tenant {name!r}: environment variable {variable} holds no token")
    secret = checked_token(token, variable)
    return Target(
        name=name,
        url=env.get("OMNEO_URL", tenant.url).rstrip("/"),
        token=secret,
        kind=tenant.kind,
        concurrency=tenant.concurrency,
        rps=tenant.rps,
        max_creates=tenant.max_creates,
    )


def checked_token(value: str, variable: str) -> SecretStr:
    """The token in ``variable``, without surrounding whitespace (a newline from ``$(cat file)``);
    refused, without showing it, if it holds a character no HTTP header can carry."""
    token = value.strip()
    bad = next((i for i, c in enumerate(token) if not "!" <= c <= "~"), None)
    if bad is not None:
        what = (
            "a space or control character"
            if token[bad].isspace() or ord(token[bad]) < 32
            else (f"the non-ASCII character U+{ord(token[bad]):04X}")
        )
        raise ConfigError(
            f"the token in {variable} holds {what} at position {bad + 1}; an API token is "
            "printable ASCII: copy it again"
        )
    return SecretStr(token)


def _looks_like_a_name(variable: str) -> bool:
    """An environment variable's name as people write them (OMNEO_STAGING_TOKEN), not a secret."""
    return bool(_VARIABLE_NAME.fullmatch(variable)) and (len(variable) <= 24 or "_" in variable)
