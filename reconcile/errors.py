"""The one exception tree of reconcile.

Every error a user can cause or meet derives from :class:`ReconcileError`; the CLI turns it into a
one-line message on stderr and exit code 1, in one place (``cli.run``). The library never prints.

    ReconcileError
    ├── ConfigError          bad reconcile.toml, unknown tenant, missing token variable
    ├── ProfileError         profiles.d/ is invalid; carries every Problem found, with file and line
    ├── ApiError             the tenant answered with an error, or could not be reached
    │   └── TransportError   no answer at all (connection refused, reset, timeout)
    ├── PlanError            a saved plan cannot be read or does not fit this project
    │   ├── StalePlanError   the tenant or profiles.d/ changed since the plan was made
    │   └── UnsafePlanError  the plan exceeds a safety threshold or needs a flag it was not given
    ├── ConflictError        matching found conflicts and --allow-conflicts was not given
    ├── LockError            another apply holds the tenant's lock (or ours was broken)
    └── ApplyError           some changes failed; the journal says which succeeded
"""

from __future__ import annotations

from dataclasses import dataclass


class ReconcileError(Exception):
    """Root of every error reconcile raises on purpose."""


class ConfigError(ReconcileError):
    """The configuration (reconcile.toml, flags, environment) is wrong."""


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with the declared profiles, located as precisely as we can."""

    file: str
    line: int
    key: str
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        subject = ": ".join(part for part in (self.key, self.field) if part)
        return f"{where}: {subject}: {self.message}" if subject else f"{where}: {self.message}"


class ProfileError(ReconcileError):
    """profiles.d/ holds one or more invalid declarations."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(problems)
        count = len(self.problems)
        super().__init__(f"{count} problem{'s' if count != 1 else ''} in profiles.d")

    def __str__(self) -> str:
        lines = [str(problem) for problem in self.problems]
        return "\n".join([*lines, f"{len(lines)} problem{'s' if len(lines) != 1 else ''} found"])


class ApiError(ReconcileError):
    """The tenant answered with an error status. ``errors`` holds Omneo's per-field messages."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        method: str = "",
        path: str = "",
        errors: dict[str, list[str]] | None = None,
    ) -> None:
        self.status = status
        self.method = method
        self.path = path
        self.errors = errors or {}
        self.api_message = message
        super().__init__(self._describe())

    def _describe(self) -> str:
        where = f"{self.method} {self.path}".strip()
        head = f"{where} answered {self.status}" if self.status else f"{where} failed"
        details = "; ".join(
            f"{field}: {' '.join(msgs)}" for field, msgs in sorted(self.errors.items())
        )
        return f"{head}: {self.api_message}" + (f" ({details})" if details else "")


class TransportError(ApiError):
    """The request got no answer: connection refused or dropped, or a timeout."""


class PlanError(ReconcileError):
    """A saved plan is unreadable, corrupted, or for another project or tenant."""


class StalePlanError(PlanError):
    """The plan no longer describes the world: re-run ``reconcile plan``."""


class UnsafePlanError(PlanError):
    """The plan needs ``--force`` or a flag (``--allow-delete``, ``--allow-purge``) to run."""


class ConflictError(ReconcileError):
    """The plan has conflicts; resolve them or pass ``--allow-conflicts`` to skip those profiles."""


class LockError(ReconcileError):
    """The tenant's apply lock is held by another run, or was broken while we held it."""


class ApplyError(ReconcileError):
    """Some changes failed during apply; the others were applied and are in the journal."""
