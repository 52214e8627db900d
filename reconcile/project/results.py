"""What a :class:`~reconcile.project.Project` answers, besides plans and apply results.

>>> ValidationResult(profiles=3).ok
True
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from reconcile.apply.outcomes import ApplyResult
from reconcile.apply.progress import Progress as ProgressEvent
from reconcile.errors import Problem, ProfileError
from reconcile.export.exporter import ExportResult
from reconcile.tenant.lock import LockInfo as LockStatus

__all__ = ["ApplyResult", "ExportResult", "LockStatus", "ProgressEvent", "ValidationResult"]


class ValidationResult(BaseModel):
    """profiles.d/ checked offline: how many profiles are valid, and every problem found.

    ``skipped`` lists the files that are not read, each with why; ``files`` and ``cached`` say
    how many were read and how many of those came from the parse cache.
    """

    model_config = ConfigDict(frozen=True)

    profiles: int = 0
    problems: list[Problem] = []
    warnings: tuple[str, ...] = ()
    skipped: tuple[tuple[str, str], ...] = ()
    files: int = 0
    cached: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems

    def error(self) -> ProfileError | None:
        """The problems as the one error that lists them (None when there are none)."""
        return ProfileError(self.problems) if self.problems else None
