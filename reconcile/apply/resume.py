"""The command that finishes an interrupted apply, as the library words it in its errors.

``reconcile apply --resume PLAN`` with the flags the run was given, so that it works as printed
(a plan with deletes needs ``--allow-delete`` again). The plan records its tenant and template
variables, so neither needs repeating; ``--tenant`` is named for a configured tenant.

>>> resume_command(Path("plans/a.json"), ApplyOptions(allow_delete=True))  # doctest: +SKIP
'reconcile apply --resume plans/a.json --allow-delete'
"""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import TYPE_CHECKING

from reconcile.settings import ENV_TENANT, LOCAL_TENANT

if TYPE_CHECKING:  # session.py, which imports this module, defines it
    from reconcile.apply.session import ApplyOptions


def resume_command(plan_file: Path, options: ApplyOptions, *, tenant: str | None = None) -> str:
    """The shell command (quoted: a path may hold spaces) that finishes ``plan_file``'s run."""
    flags: list[str] = [
        flag
        for flag, given in (
            ("--allow-delete", options.allow_delete),
            ("--allow-purge", options.allow_purge),
            ("--force", options.force),
            ("--bulk", options.bulk is True),
            ("--no-bulk", options.bulk is False),
        )
        if given
    ]
    flags += ["--reason", options.reason] if options.force and options.reason else []
    flags += ["--tenant", tenant] if tenant and tenant not in (LOCAL_TENANT, ENV_TENANT) else []
    return shlex.join(["reconcile", "apply", "--resume", str(plan_file), *flags])
