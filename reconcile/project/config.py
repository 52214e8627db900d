"""The project's configuration applied to each stage: what a plan, a load or an export is given.

One place turns ``reconcile.toml`` (a :class:`~reconcile.settings.Settings`) into the options of
each stage, so a plan made from Python equals the one ``reconcile plan`` makes: the phone region,
the owner handle, the safety threshold, the parse cache, the plan's file name.

>>> settings = Settings(root=Path("/work/shop"))
>>> plan_options(settings, "http://t/api/v3", "local").threshold
0.3
>>> template_variables(["count=3"], None)
{'count': '3'}
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal, get_args

from pydantic import ValidationError

from reconcile.errors import ConfigError, OptionError
from reconcile.export.exporter import ExportOptions, Selection
from reconcile.plan.options import PlanOptions
from reconcile.profiles.loader import Loading, begin_loading, read_variables
from reconcile.report.render import FORMATS, Format
from reconcile.settings import LOCAL_TENANT, Settings, Target

Kind = Literal["test", "production"]


def tenant_kind(settings: Settings, name: str | None, env: Mapping[str, str]) -> Kind:
    """``test`` or ``production``, as ``resolve_target`` would say, without the token."""
    if name is None and env.get("OMNEO_URL"):
        return "production"
    name = name or LOCAL_TENANT
    if name in settings.tenants:
        return settings.tenants[name].kind
    if name == LOCAL_TENANT:
        return "test"
    known = ", ".join(sorted({LOCAL_TENANT, *settings.tenants}))
    raise ConfigError(f"unknown tenant {name!r}; configured tenants: {known}")


def report_format(fmt: str) -> Format:
    """``fmt`` if it is a report format; else :class:`OptionError` naming the ones there are."""
    if fmt not in get_args(Format):
        raise OptionError(f"unknown format {fmt!r}; use {', '.join(FORMATS)}", option="--format")
    return fmt  # type: ignore[return-value]


def plan_options(settings: Settings, url: str, tenant_name: str, **chosen: object) -> PlanOptions:
    """What ``reconcile plan`` asks of the planner for this project; ``chosen`` overrides."""
    return PlanOptions.model_validate(
        {
            "tenant": url,
            "owner_handle": settings.owner_handle,
            "phone_region": settings.phone_region,
            "threshold": settings.delete_threshold,
            "threshold_floor": settings.threshold_floor,
            "tenant_name": tenant_name,
            "variables": {},
            **chosen,
        }
    )


def begin_declared(
    settings: Settings,
    variables: Mapping[str, object] | None = None,
    keep: Callable[[str], bool] | None = None,
) -> Loading:
    """The project's profiles.d/ load begun (a cold tree parses in workers meanwhile); ``keep``
    (a plan's selection, e.g. a shard) holds only the selected profiles whole."""
    return begin_loading(
        settings.path(settings.profiles_dir),
        phone_region=settings.phone_region,
        variables=variables,
        cache_dir=settings.path(settings.state_dir) / "cache",
        owner_handle=settings.owner_handle,
        links_outside=settings.follow_symlinks_outside,
        keep=keep,
    )


def new_plan_file(settings: Settings, tenant_name: str, prefix: str = "") -> Path:
    """``plans/<prefix><tenant>-<UTC time>.json``, with a counter if a plan has the name."""
    name = f"{prefix}{tenant_name}-{datetime.now(UTC):%Y%m%d-%H%M%S}.json"
    path = candidate = settings.path(settings.plans_dir) / name
    n = 1
    while candidate.exists():
        n += 1
        candidate = path.with_name(f"{path.stem}-{n}{path.suffix}")
    return candidate


def template_variables(pairs: Iterable[str] | None, vars_file: Path | None) -> dict[str, object]:
    """``--vars FILE`` first, then each ``--var NAME=VALUE`` (values are text) over it."""
    variables = read_variables(vars_file) if vars_file is not None else {}
    for pair in pairs or []:
        name, equals, value = pair.partition("=")
        if not equals or not name.strip().isidentifier():
            raise ConfigError(
                f"--var {pair!r}: write NAME=VALUE, NAME a letter then letters, digits, _"
            )
        variables[name.strip()] = value
    return variables


def given_variables(given: Mapping[str, object] | None) -> dict[str, object]:
    """Template variables given from Python: text, numbers, booleans, lists and mappings of them
    (what ``--var`` and ``--vars FILE`` can give), since a plan records them."""
    variables = dict(given or {})
    for name, value in variables.items():
        try:
            json.dumps(value, allow_nan=False)
        except (TypeError, ValueError):
            raise OptionError(
                f"template variable {name!r} is a {type(value).__name__}: give text, a number, "
                "a boolean, or a list or mapping of them",
                option="--var",
            ) from None
    return variables


def option_error(exc: ValidationError) -> OptionError:
    """A value pydantic refused, as the option that was given it (``--concurrency: ...``)."""
    problems = [(f"--{str(e['loc'][0]).replace('_', '-')}", e["msg"]) for e in exc.errors()]
    text = "; ".join(f"{option}: {message}" for option, message in problems)
    return OptionError(text, option=problems[0][0] if problems else None)


def limited(target: Target, concurrency: int | None, rps: float | None) -> Target:
    """``target`` with the requests in flight and per second asked for (None: the tenant's)."""
    limits = {"concurrency": concurrency, "rps": rps}
    return target.model_copy(update={k: v for k, v in limits.items() if v is not None})


SPLITS = ("profile", "tag", "letter", "none")


def export_options(
    settings: Settings,
    target: Target,
    out: Path | None,
    selection: Selection,
    *,
    split: str,
    key_template: str | None,
    key_identity: str | None,
    page_size: int,
    variables: Mapping[str, object],
) -> ExportOptions:
    """What ``reconcile export`` asks of the exporter: into profiles.d/ unless ``out`` says."""
    if split not in SPLITS:
        raise OptionError(f"unknown --split {split!r}; use profile, tag, letter or none")
    if key_identity and key_template:
        raise OptionError("give --key-template or --key-identity, not both")
    if not 1 <= page_size <= 500:
        raise OptionError(f"{page_size} is not between 1 and 500", option="--page-size")
    profiles_dir = settings.path(settings.profiles_dir)
    folder = out or profiles_dir
    inside = folder.resolve().is_relative_to(profiles_dir.resolve())
    return ExportOptions.model_validate(
        {
            "out": folder,
            "scan_root": profiles_dir if inside else folder,
            "tenant": target.name,
            "owner_handle": settings.owner_handle,
            "phone_region": settings.phone_region,
            "selection": selection,
            "split": split,
            "key_template": f"{{identity:{key_identity}}}" if key_identity else key_template,
            "page_size": page_size,
            "variables": dict(variables),
        }
    )
