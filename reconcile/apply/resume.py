"""The commands a run tells its user to type next: apply a saved plan, or finish an interrupted
apply.

Each is a shell command (quoted: a path may hold spaces) that works as printed: it names the
flags the plan needs again (a plan with deletes needs ``--allow-delete``), and ``-C DIR`` when
the project is not the current folder. The plan records its tenant and template variables, so
neither needs repeating; ``--tenant`` is named when given.

>>> resume_command(Path("plans/a.json"), allow_delete=True)
'reconcile apply --resume plans/a.json --allow-delete'
>>> apply_command(Path("plans/a.json"), "--allow-delete", tenant="staging")
'reconcile apply plans/a.json --allow-delete --tenant staging'
"""

from __future__ import annotations

import shlex
from pathlib import Path

# The options of an apply that its resume command repeats.
RESUME_FLAGS = {"allow_delete", "allow_purge", "force", "reason", "bulk", "strict"}


def invocation(root: Path | None) -> list[str]:
    """``reconcile``, with ``-C ROOT`` when the project at ``root`` is not the current folder
    (plan files are named relative to the current folder, which ``-C`` keeps); ROOT relative
    when it lies below the current folder, else absolute."""
    if root is None:
        return ["reconcile"]
    here, there = Path.cwd().resolve(), Path(root).resolve()
    if here == there:
        return ["reconcile"]
    shown = there.relative_to(here) if there.is_relative_to(here) else there
    return ["reconcile", "-C", str(shown)]


def apply_command(
    plan_file: Path, *flags: str, tenant: str | None = None, root: Path | None = None
) -> str:
    """``reconcile apply PLAN`` with ``flags`` (those the plan asks for)."""
    words = [*invocation(root), "apply", str(plan_file), *flags]
    words += ["--tenant", tenant] if tenant else []
    return shlex.join(words)


def resume_command(
    plan_file: Path,
    *,
    allow_delete: bool = False,
    allow_purge: bool = False,
    force: bool = False,
    reason: str | None = None,
    bulk: bool | None = None,
    strict: bool = False,
    tenant: str | None = None,
    root: Path | None = None,
) -> str:
    """``reconcile apply --resume PLAN`` with the flags the interrupted run was given."""
    flags: list[str] = [
        flag
        for flag, given in (
            ("--allow-delete", allow_delete),
            ("--allow-purge", allow_purge),
            ("--force", force),
            ("--bulk", bulk is True),
            ("--no-bulk", bulk is False),
            ("--strict", strict),
        )
        if given
    ]
    flags += ["--reason", reason] if force and reason else []
    flags += ["--tenant", tenant] if tenant else []
    return shlex.join([*invocation(root), "apply", "--resume", str(plan_file), *flags])
