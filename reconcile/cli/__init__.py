"""The ``reconcile`` command line: parse options, call the library, print, exit.

Only this package prints or exits. Every ``ReconcileError`` is caught once, by the top-level
command group (``common.ReportingGroup``) that ``run()`` and every command go through, and drawn as
one line on stderr with the error's exit code (see ``reconcile.errors``). One module per group of
commands (``planning``, ``applying``, ``tenant``, ``sandbox``, ``watch``); they share helpers
only through ``common``, and each command is a few lines over the library.
"""

from reconcile.cli import applying, planning, sandbox, tenant, watch
from reconcile.cli.common import app, run

__all__ = ["app", "applying", "planning", "run", "sandbox", "tenant", "watch"]
