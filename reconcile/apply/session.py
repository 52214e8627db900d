"""The one way to apply a reviewed plan to a tenant, with every safety check on the way.

:func:`apply_reviewed` is what ``reconcile apply`` and ``reconcile teardown`` run, and what a
library user should call. In order, it:

1. refuses a plan made for another tenant (the plan records the tenant's URL);
2. enforces the production guards (``guards.py``): bulk mode, and more creates than
   ``max_creates``, need ``force`` and a ``reason`` on a production tenant;
3. opens a client to the tenant and takes its apply lock (``tenant/lock.py``), refreshed while it
   works and released however the run ends;
4. verifies the plan and carries it out, journalling every outcome (``carry.py``).

>>> options = ApplyOptions(allow_delete=True)                                 # doctest: +SKIP
>>> journal = Journal.beside(Path("plans/release.json"))                     # doctest: +SKIP
>>> result = await apply_reviewed(plan, declared, target, journal, options)  # doctest: +SKIP
>>> result.summary()                                                         # doctest: +SKIP
'12 applied, 0 failed'

The library never prints: what a person should hear about (a production guard passed with
``force``, a stale lock taken over) goes to ``on_notice``.
"""

from __future__ import annotations

from collections.abc import Callable

from reconcile.apply.carry import ApplyOptions, carry_out
from reconcile.apply.executor import ProgressCallback
from reconcile.apply.guards import Override, check_bulk, check_creates
from reconcile.apply.journal import Journal
from reconcile.apply.outcomes import ApplyResult
from reconcile.apply.resume import resume_command
from reconcile.errors import LockLostError, PlanError
from reconcile.plan.value import Plan
from reconcile.profiles.loader import DeclaredProfiles
from reconcile.settings import Target
from reconcile.tenant.client import OmneoClient
from reconcile.tenant.lock import Holder, TenantLock

Notice = Callable[[str], None]

__all__ = ["Notice", "apply_reviewed", "preflight"]


def preflight(plan: Plan, target: Target, options: ApplyOptions) -> list[str]:
    """Refuse ``plan`` on ``target`` before anything is read or written; the guards' notes.

    Raises :class:`~reconcile.errors.PlanError` for a plan of another tenant and
    :class:`~reconcile.errors.UnsafePlanError` when a production guard refuses.
    """
    if plan.options.tenant != target.url:
        raise PlanError(f"the plan was made for {plan.options.tenant}, not {target.url}")
    override = Override(force=options.force, reason=options.reason)
    notes = [check_creates(target, creates=plan.count("create"), override=override)]
    if options.bulk:
        notes.append(check_bulk(target, override=override))
    return [note for note in notes if note]


async def apply_reviewed(
    plan: Plan,
    declared: DeclaredProfiles,
    target: Target,
    journal: Journal,
    options: ApplyOptions,
    *,
    holder: Holder | None = None,
    on_progress: ProgressCallback | None = None,
    on_notice: Notice | None = None,
    resume: str | None = None,
) -> ApplyResult:
    """Check, lock, verify and carry out ``plan`` on ``target``; see the module docstring.

    ``holder`` names this run in the tenant's lock (default: this process, applying the
    journal's plan). ``resume`` is the command that finishes an interrupted run, as the
    caller's users type it, for the error of a run stopped by a broken lock (default:
    ``reconcile apply --resume PLAN`` with this run's flags, ``apply/resume.py``).
    """
    tell = on_notice or (lambda _note: None)
    for note in preflight(plan, target, options):
        tell(note)
    async with OmneoClient.open(target) as client:
        try:
            return await locked(
                plan,
                declared,
                client,
                journal,
                options,
                holder=holder,
                on_progress=on_progress,
                on_notice=tell,
            )
        except LockLostError as lost:  # what was done, and the command that finishes it
            done = len(journal.read(plan.checksum).succeeded)
            resume = resume or resume_command(journal.plan_file, options, tenant=target.name)
            raise LockLostError(
                f"{lost}; {done} of {len(plan.changes)} changes done, recorded in "
                f"{journal.path}: finish with `{resume}`"
            ) from None


async def locked(
    plan: Plan,
    declared: DeclaredProfiles,
    client: OmneoClient,
    journal: Journal,
    options: ApplyOptions,
    *,
    holder: Holder | None = None,
    on_progress: ProgressCallback | None = None,
    on_notice: Notice,
) -> ApplyResult:
    """Carry out ``plan`` through an open client while holding the tenant's apply lock."""
    who = holder or Holder.here(str(journal.plan_file))
    lock = TenantLock(client, plan.options.owner_handle, holder=who, timeout=options.lock_timeout)
    async with lock.held():
        if lock.taken_over is not None:
            on_notice(f"Took over a stale apply lock ({lock.taken_over.describe()})")
        return await carry_out(plan, declared, client, journal, options, on_progress=on_progress)
