"""The ``reconcile`` command line: parse options, call the library, print, exit.

Only this package prints or exits; every ``ReconcileError`` becomes one message on stderr and
exit code 1 in ``common._reported``. One module per group of commands; each command is a few
lines over the library (``reconcile.planner``, ``reconcile.apply``, ``reconcile.export``...).
"""

from reconcile.cli import applying, planning, sandbox, tenant
from reconcile.cli.common import app, run

__all__ = ["app", "applying", "planning", "run", "sandbox", "tenant"]
