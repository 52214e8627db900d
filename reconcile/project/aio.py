"""``AsyncProject``: every command of ``reconcile`` as a coroutine, over one project folder.

It reads ``reconcile.toml`` once and gives every stage the project's configuration
(``config.py``), so what it plans, applies and exports is what the command line does. Applying
is ``applying.py``: a plan is always checked against the project and the tenant.

>>> project = AsyncProject(".")                           # doctest: +SKIP
>>> plan = await project.plan()                           # doctest: +SKIP
>>> result = await project.apply(plan)                    # doctest: +SKIP
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Literal, Self

from reconcile.apply.guards import Override, check_creates, check_teardown
from reconcile.collector import paused
from reconcile.errors import ProfileError
from reconcile.plan.build import build_plan
from reconcile.plan.merge import merge_plans
from reconcile.plan.options import PlanOptions
from reconcile.plan.selectors import Selectors, parse_shard
from reconcile.plan.value import Plan
from reconcile.profiles.loader import DeclaredProfiles, Loading, skipped_files
from reconcile.profiles.schema import profile_file_schema
from reconcile.project import applying, managing
from reconcile.project.config import (
    Kind,
    begin_declared,
    given_variables,
    new_plan_file,
    plan_options,
    report_format,
    tenant_kind,
)
from reconcile.project.results import (
    ApplyResult,
    ExportResult,
    LockStatus,
    ProgressEvent,
    ValidationResult,
)
from reconcile.report.merged import render_merged
from reconcile.report.render import render
from reconcile.settings import LOCAL_TENANT, Settings, Target, load_settings, resolve_target
from reconcile.tenant.client import OmneoClient

Notice = Callable[[str], None]
Progress = Callable[[ProgressEvent], None]


def _quiet(_note: str) -> None:
    """Notices nobody asked to hear."""


def _path(given: str | os.PathLike[str] | None) -> Path | None:
    """A path given as text too (relative to the working directory, as on the command line)."""
    return None if given is None else Path(given)


class AsyncProject:
    """A reconcile project (``reconcile.toml``, ``profiles.d/``, ``plans/``) and its tenants.

    ``tenant`` is the tenant every method uses unless given one (default: ``OMNEO_URL`` if set,
    else ``local``); ``env`` is where tokens, ``OMNEO_URL`` and the plan key are read from
    (default: ``os.environ``). Raises :class:`~reconcile.errors.ConfigError` for a broken
    ``reconcile.toml``.
    """

    def __init__(
        self, path: str | os.PathLike[str] = ".", *, tenant: str | None = None,
        env: Mapping[str, str] | None = None,
    ) -> None:  # fmt: skip
        self.path = Path(path)
        self.settings: Settings = load_settings(self.path)
        self.tenant = tenant
        self.env: Mapping[str, str] = os.environ if env is None else env
        self._saved: dict[str, Path] = {}
        self._last: tuple[Plan, Plan] | None = None  # the plan returned last, and its saved form

    @classmethod
    def open(
        cls, path: str | os.PathLike[str] = ".", tenant: str | None = None,
        env: Mapping[str, str] | None = None,
    ) -> Self:  # fmt: skip
        return cls(path, tenant=tenant, env=env)

    # -- the project's tenants and files -----------------------------------------------------

    def tenant_names(self) -> list[str]:
        """The tenants of ``reconcile.toml`` and the built-in ``local``."""
        return sorted({LOCAL_TENANT, *self.settings.tenants})

    def tenant_kind(self, tenant: str | None = None) -> Kind:
        """``test`` or ``production``, without needing the tenant's token."""
        return tenant_kind(self.settings, tenant or self.tenant, self.env)

    def target(self, tenant: str | None = None) -> Target:
        """The tenant as the client reaches it (URL, token, limits)."""
        return resolve_target(self.settings, tenant or self.tenant, self.env)

    def new_plan_file(self, tenant: str | None = None, *, prefix: str = "") -> Path:
        """Where ``reconcile plan`` saves a plan of ``tenant`` made now (``plans/``)."""
        return new_plan_file(self.settings, self.target(tenant).name, prefix)

    def saved(self, plan: Plan) -> Path | None:
        """Where this project saved ``plan`` (None: it did not)."""
        return self._saved.get(plan.checksum)

    # -- commands ----------------------------------------------------------------------------

    async def validate(self, *, vars: Mapping[str, object] | None = None) -> ValidationResult:
        """Check profiles.d/ offline; problems in the files are in the result, never raised."""
        return self.validated(vars)

    def validated(self, vars: Mapping[str, object] | None = None) -> ValidationResult:
        """:meth:`validate`, without an event loop (it reads only files)."""
        settings = self.settings
        root = settings.path(settings.profiles_dir)
        skipped = skipped_files(root, links_outside=settings.follow_symlinks_outside)
        try:
            declared = begin_declared(settings, given_variables(vars)).result()
        except ProfileError as exc:
            return ValidationResult(problems=exc.problems, skipped=skipped)
        return ValidationResult(
            profiles=len(declared.profiles),
            warnings=declared.warnings,
            skipped=skipped,
            files=declared.files,
            cached=declared.cached,
        )

    async def schema(self) -> dict[str, object]:
        """The JSON Schema of profiles.d/ files."""
        return profile_file_schema()

    async def plan(
        self,
        *,
        tenant: str | None = None,
        allow_delete: bool = False,
        allow_purge: bool = False,
        targets: Sequence[str] = (),
        excludes: Sequence[str] = (),
        shard: str | None = None,
        allow_conflicts: bool = False,
        adopt: bool = True,
        force: bool = False,
        reason: str | None = None,
        vars: Mapping[str, object] | None = None,
        out: Path | Literal[False] | None = None,
        on_notice: Notice | None = None,
    ) -> Plan:
        """Compare profiles.d/ with the tenant; the plan, saved unless ``out`` is False.

        ``out=None`` saves it under ``plans/`` as ``reconcile plan`` names it (:meth:`saved`
        says where). The plan returned still holds the tenant's values (the saved one masks
        them; :meth:`show` masks them too unless asked not to); conflicts are in it, not raised.
        A production tenant refuses more creates than its ``max_creates`` without ``force``
        and a ``reason``.
        """
        target = self.target(tenant)
        variables = given_variables(vars)
        if shard is not None:
            parse_shard(shard)
        selectors = Selectors(target=tuple(targets), exclude=tuple(excludes), shard=shard)
        chosen = {"allow_delete": allow_delete, "allow_purge": allow_purge, "adopt": adopt,
                  "allow_conflicts": allow_conflicts, "selectors": selectors,
                  "variables": variables}  # fmt: skip
        options = plan_options(self.settings, target.url, target.name, **chosen)
        # One pause from the first file read to the saved plan: see reconcile.collector.
        with paused():
            # The tenant is listed while a cold profiles.d/ is parsed in worker processes.
            keep = None if selectors.is_everything else selectors.selects
            loading = begin_declared(self.settings, variables, keep)
            made = await self._made(target, loading, options, Override(force=force, reason=reason),
                                    on_notice or _quiet)  # fmt: skip
            return self._kept(
                made, None if out is False else _path(out) or self.new_plan_file(tenant)
            )

    async def _made(
        self,
        target: Target,
        declared: DeclaredProfiles | Loading,
        options: PlanOptions,
        override: Override | None,
        notice: Notice,
    ) -> Plan:
        """The plan of ``declared`` on ``target``, once the production guard on creates let it
        (``override`` None: the guard is left to the apply that follows)."""
        async with OmneoClient.open(target) as client:
            made = await build_plan(declared, client, options)
        if override is None:
            return made
        note = check_creates(target, creates=made.count("create"), override=override)
        if note:
            notice(note)
        return made

    def _kept(self, made: Plan, path: Path | None) -> Plan:
        """``made`` with the checksum (and signature) of its saved form, saved at ``path``."""
        key = self.settings.plan_key(self.env)
        sealed = made.sealed(key)
        if path is not None:
            sealed.save(path, key=key)
            self._saved[sealed.checksum] = path
        kept = made.model_copy(update={"checksum": sealed.checksum, "signature": sealed.signature})
        self._last = (kept, sealed)  # shown masked next, most likely: sealed once, not twice
        return kept

    async def show(
        self,
        plan: Plan | Path | Sequence[Plan | Path],
        format: str = "text",
        *,
        reveal_pii: bool = False,
        color: bool = False,
    ) -> str:
        """The plan (or the plan saved at a path) as a report: text, markdown, json or html.

        Personal data is masked, as in the saved plan, unless ``reveal_pii``. Several plans
        (every shard's plan of one run) are shown as one review (:func:`merged`).
        """
        return self.shown(plan, format, reveal_pii=reveal_pii, color=color)

    def shown(
        self, plan: Plan | Path | Sequence[Plan | Path], format: str = "text", *,
        reveal_pii: bool = False, color: bool = False,
    ) -> str:  # fmt: skip
        """:meth:`show`, without an event loop (it reads only files), e.g. from a ``review``."""
        fmt = report_format(format)
        if isinstance(plan, Sequence):
            plans = [self._loaded(each) for each in plan]
            shown = plans if reveal_pii else [self._sealed(each) for each in plans]
            return render_merged(shown, fmt, show_pii=reveal_pii, color=color)
        if not isinstance(plan, Plan):
            plan = Plan.load(Path(plan))
        # Masked reports come from the saved form, so `plan` and `show` print the same bytes.
        return render(plan if reveal_pii else self._sealed(plan), fmt, show_pii=reveal_pii,
                      color=color)  # fmt: skip

    def merged(self, plans: Sequence[Plan | Path]) -> Plan:
        """Every shard's plan of one run as one plan, for one verdict (``merge_plans``): raises
        ``PlanError`` for plans that are not the shards of one ``plan``. Not to be applied."""
        return merge_plans([self._loaded(each) for each in plans])

    @staticmethod
    def _loaded(plan: Plan | Path) -> Plan:
        return plan if isinstance(plan, Plan) else Plan.load(Path(plan))

    def _sealed(self, plan: Plan) -> Plan:
        """The saved form of ``plan``, with its signature."""
        if self._last is not None and self._last[0] is plan:
            return self._last[1]
        return plan.sealed().model_copy(update={"signature": plan.signature})

    async def apply(
        self,
        plan: Plan | Path | None = None,
        *,
        tenant: str | None = None,
        resume: bool = False,
        force: bool = False,
        reason: str | None = None,
        fail_fast: bool = False,
        bulk: bool | None = None,
        strict: bool = False,
        concurrency: int | None = None,
        rps: float | None = None,
        lock_timeout: float = 0.0,
        allow_delete: bool = False,
        allow_purge: bool = False,
        vars: Mapping[str, object] | None = None,
        progress: Progress | None = None,
        stop: applying.Stop | None = None,
        out: Path | None = None,
        holder: str | None = None,
        review: Callable[[Plan], None] | None = None,
        confirm: Callable[[Plan], bool] | None = None,
        on_notice: Notice | None = None,
    ) -> ApplyResult:
        """Carry out a plan (or plan now, then apply: ``plan=None``), with every check.

        The plan is checked against the project and the tenant (its tenant, profiles.d/'s
        digest, ownership, safety, fingerprints) while the tenant's apply lock is held, and
        every outcome is journalled beside the saved plan (a plan not saved yet is saved first,
        at ``out`` or under ``plans/``). ``stop`` (a ``threading.Event``): once set, no further
        change starts; the result says it stopped, and ``resume=True`` finishes the plan later.

        ``confirm`` (if given) must return True before anything is saved or written. With
        ``plan=None``, ``review`` sees the plan just made (before ``confirm``); a plan with
        nothing to do returns an empty result whose ``plan_file`` is None. ``strict``: read
        each profile again right before its write, instead of pages of one listing read again
        (docs/apply.md, "No lost update").
        """
        chosen = {"tenant": tenant, "resume": resume, "force": force, "reason": reason,
                  "fail_fast": fail_fast, "bulk": bulk, "strict": strict,
                  "concurrency": concurrency, "rps": rps,
                  "lock_timeout": lock_timeout, "allow_delete": allow_delete,
                  "allow_purge": allow_purge, "variables": given_variables(vars), "out": out,
                  "holder": holder}  # fmt: skip
        request = applying.Request.checked(chosen)
        hooks = applying.Hooks(
            progress=progress, stop=stop, review=review, confirm=confirm, notice=on_notice or _quiet
        )
        return await applying.apply(self, plan, request, hooks)

    async def export(
        self,
        *,
        tenant: str | None = None,
        out: Path | None = None,
        filters: Iterable[str | tuple[str, str]] = (),
        tag: str | Sequence[str] | None = None,
        identity_handle: str | None = None,
        search: str | None = None,
        split: str = "profile",
        key_template: str | None = None,
        key_identity: str | None = None,
        page_size: int = 100,
        vars: Mapping[str, object] | None = None,
        progress: Progress | None = None,
    ) -> ExportResult:
        """Write the tenant's profiles as profiles.d/ files (or into ``out``), ready to adopt.

        ``filters``: ``FIELD=VALUE`` texts or ``(field, value)`` pairs; ``tag``: one or more.
        """
        return await managing.export(
            self.settings, self.target(tenant), _path(out),
            managing.selection(filters, tag, identity_handle, search), split=split,
            key_template=key_template, key_identity=key_identity, page_size=page_size,
            variables=given_variables(vars), progress=progress,
        )  # fmt: skip

    async def teardown(
        self,
        *,
        tenant: str | None = None,
        purge: bool = False,
        force: bool = False,
        reason: str | None = None,
        out: Path | Literal[False] | None = None,
        vars: Mapping[str, object] | None = None,
        on_notice: Notice | None = None,
    ) -> Plan:
        """A plan that deletes (or purges) every profile this project manages on the tenant.

        Refused on a production tenant without ``force`` and a ``reason``. Saved like
        :meth:`plan`'s (``out=None``: ``plans/teardown-<tenant>-<time>.json``); carry it out with
        :meth:`apply` and ``allow_delete`` (or ``allow_purge``) and ``force``: removing every
        managed profile is unsafe by design, and apply checks it like any other plan.
        """
        target = self.target(tenant)
        note = check_teardown(target, override=Override(force=force, reason=reason))
        made = await managing.teardown_plan(self.settings, target, purge, given_variables(vars))
        if note:
            (on_notice or _quiet)(note)
        if out is False:
            return self._kept(made, None)
        return self._kept(made, _path(out) or self.new_plan_file(tenant, prefix="teardown-"))

    async def lock_status(self, *, tenant: str | None = None) -> LockStatus | None:
        """Who holds the tenant's apply lock (None: nobody)."""
        return await managing.lock_status(self.settings, self.target(tenant))

    async def lock_break(self, *, reason: str, tenant: str | None = None) -> LockStatus | None:
        """Remove a stale apply lock, saying why; what it was (None: there was no lock)."""
        return await managing.lock_break(self.settings, self.target(tenant), reason)
