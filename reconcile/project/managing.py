"""Export, teardown and the lock, as a project asks for them: a tenant under management and back.

>>> selection(["last_name=Smith"], "vip", None, None).query()
{'filter[last_name]': 'Smith', 'filter[tags.handle]': 'vip'}
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path

from reconcile.apply.progress import Progress
from reconcile.apply.teardown import TeardownOptions
from reconcile.apply.teardown import teardown_plan as removal_plan
from reconcile.errors import OptionError
from reconcile.export.exporter import ExportResult, Selection, export_profiles
from reconcile.plan.value import Plan
from reconcile.project.config import begin_declared, export_options
from reconcile.settings import Settings, Target
from reconcile.tenant.client import OmneoClient
from reconcile.tenant.lock import LockInfo, break_lock, read_lock


def selection(
    filters: Iterable[str | tuple[str, str]],
    tag: str | Sequence[str] | None,
    identity_handle: str | None,
    search: str | None,
) -> Selection:
    """Which profiles to export: ``FIELD=VALUE`` texts or pairs, one tag or several."""
    tags = (tag,) if isinstance(tag, str) else tuple(tag or ())
    pairs = tuple(_pair(f) for f in filters)
    return Selection(filters=pairs, tags=tags, identity_handle=identity_handle, search=search)


def _pair(given: str | tuple[str, str]) -> tuple[str, str]:
    if not isinstance(given, str):
        return given
    name, sep, value = given.partition("=")
    if not sep:
        raise OptionError(f"--filter {given!r}: use FIELD=VALUE")
    return name.strip(), value.strip()


async def export(
    settings: Settings,
    target: Target,
    out: Path | None,
    chosen: Selection,
    *,
    split: str,
    key_template: str | None,
    key_identity: str | None,
    page_size: int,
    variables: Mapping[str, object],
    progress: Callable[[Progress], None] | None,
) -> ExportResult:
    """Export the chosen profiles of ``target`` into profiles.d/ (or ``out``)."""
    options = export_options(
        settings, target, out, chosen, split=split, key_template=key_template,
        key_identity=key_identity, page_size=page_size, variables=variables,
    )  # fmt: skip
    started = time.monotonic()

    def counted(done: int, total: int) -> None:
        if progress is not None:
            progress(Progress(total=total, done=Counter({"done": done}), started=started))

    async with OmneoClient.open(target) as client:
        return await export_profiles(client, options, on_progress=counted)


async def teardown_plan(
    settings: Settings, target: Target, purge: bool, variables: dict[str, object]
) -> Plan:
    """The plan removing every profile the project manages on ``target``; it records
    profiles.d/'s digest, which applying it checks like any plan's."""
    declared = begin_declared(settings, variables).result()
    options = TeardownOptions(
        tenant=target.url,
        tenant_name=target.name,
        variables=variables,  # recorded as given, like a plan's
        owner_handle=settings.owner_handle,
        phone_region=settings.phone_region,
        purge=purge,
        inputs_digest=declared.digest,
    )
    async with OmneoClient.open(target) as client:
        return await removal_plan(client, options)


async def lock_status(settings: Settings, target: Target) -> LockInfo | None:
    """Who holds ``target``'s apply lock of this project's profiles (None: nobody)."""
    async with OmneoClient.open(target) as client:
        return await read_lock(client, settings.owner_handle)


async def lock_break(settings: Settings, target: Target, reason: str) -> LockInfo | None:
    """Break the lock, saying why (its holder stops; the next apply takes it over); what it
    was (None: there was no lock)."""
    if not reason.strip():
        raise OptionError("say why the lock is stale", option="--reason")
    async with OmneoClient.open(target) as client:
        return await break_lock(client, settings.owner_handle, reason=reason.strip())
