"""The library's face: a project folder and a method for every command of ``reconcile``.

:class:`Project` (synchronous) and :class:`AsyncProject` (the same methods as coroutines, for an
event loop) take the options of the commands, with their defaults, and the project's
configuration (``reconcile.toml``), so a plan made from Python is the plan ``reconcile plan``
makes, and :meth:`Project.apply` runs every check ``reconcile apply`` runs.

>>> project = Project(".")                  # doctest: +SKIP
>>> result = project.apply(project.plan())  # doctest: +SKIP

Modules: ``sync`` (:class:`Project`), ``aio`` (:class:`AsyncProject`), ``applying`` (how a plan
reaches the gate: its file, its tenant and variables, a plan made now), ``managing`` (export,
teardown and the lock), ``config`` (the project's configuration given to each stage),
``results`` (what the methods answer).
"""

from reconcile.apply.resume import apply_command, resume_command
from reconcile.project.aio import AsyncProject
from reconcile.project.config import report_format, template_variables
from reconcile.project.results import (
    ApplyResult,
    ExportResult,
    LockStatus,
    ProgressEvent,
    ValidationResult,
)
from reconcile.project.sync import Project
from reconcile.report.render import FORMATS

__all__ = [
    "FORMATS",
    "ApplyResult",
    "AsyncProject",
    "ExportResult",
    "LockStatus",
    "ProgressEvent",
    "Project",
    "ValidationResult",
    "apply_command",
    "report_format",
    "resume_command",
    "template_variables",
]
