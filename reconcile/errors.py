"""The one exception tree of reconcile, and how each error is drawn for a person.

Every error a user can cause or meet derives from :class:`ReconcileError`. The CLI catches it in
one place (the top-level command group in ``cli/common.py``, which every command runs through) and
draws it as ``error: <message>`` on stderr, exiting with the class's ``exit_code`` (1 for all of
them; 2 is kept for "changes present"). Every message is one line that says what to do, except
:class:`ProfileError`, which lists one problem a line. The library never prints.

    ReconcileError                 exit 1
    ├── ConfigError                bad reconcile.toml, unknown tenant, missing token variable
    │   ├── SandboxError           the embedded sandbox cannot start as asked (port in use,
    │   │                          database of a newer version, published token beyond loopback)
    │   └── OptionError            an option's value is not one it takes (a report format, a
    │                              shard); the CLI shows it as a usage error (exit 2)
    ├── ProfileError               profiles.d/ is invalid; carries every Problem, with file and line
    ├── FileProblem                one file of profiles.d/ cannot be read (loader-internal: becomes
    │   └── YamlProblem            a Problem of the ProfileError); YamlProblem: not acceptable YAML
    ├── InvalidValue               a value Omneo would reject (also a ValueError, for pydantic)
    ├── FakeDataError              a template called ``fake`` wrongly (also a ValueError)
    ├── ApiError                   the tenant answered with an error, or could not be reached
    │   ├── TransportError         no answer at all (connection refused, reset, timeout)
    │   └── UnreadableAnswer       an answer in a form reconcile cannot read (one profile's is a
    │                              conflict of the plan, not an error: tenant-compatibility.md)
    ├── PlanError                  a saved plan cannot be read or does not fit this project
    │   ├── StalePlanError         the tenant or profiles.d/ changed since the plan was made
    │   │   └── ProfileMovedError  one profile changed just before its write (fails that change)
    │   ├── UnsafePlanError        over a safety threshold, or needs a flag it was not given
    │   └── OrderingError          the changes cannot be ordered (two take the same unique value)
    ├── ConflictError              matching found conflicts and --allow-conflicts was not given
    ├── LockError                  another apply holds the tenant's lock
    │   └── LockLostError          ours was broken or taken over while we held it
    ├── ApplyError                 some changes failed; the journal says which succeeded
    ├── YamlWriteError             export cannot edit a file of the tree safely
    └── SourceError                reconcile watch cannot fetch or read the watched repository

Foreign libraries' exceptions are translated where the library is used (phonenumbers in
``model/phones.py``, email-validator in ``model/normalize.py``, httpx in ``tenant/wire.py``,
PyYAML in ``profiles/yaml_reader.py`` (around ``profiles/yaml_plain.py`` and
``profiles/yaml_tree.py``), ruamel.yaml in ``export/yaml_writer.py``). The sandbox imitates Omneo
and imports nothing of the tool, so its own exceptions (``SchemaTooNew``, ``SandboxRefused``) are
translated to :class:`SandboxError` where the tool reaches it (``tenant/wire.py``,
``cli/sandbox.py``).
"""

from __future__ import annotations

from dataclasses import dataclass


class ReconcileError(Exception):
    """Root of every error reconcile raises on purpose."""

    exit_code = 1


class ConfigError(ReconcileError):
    """The configuration (reconcile.toml, flags, environment) is wrong."""


class SandboxError(ConfigError):
    """The embedded sandbox cannot start as asked; the message says what to change."""


class OptionError(ConfigError, ValueError):
    """An option's value is not one it takes; ``option`` names it (``--format``), if one does.

    Also a ``ValueError``, so that a pydantic validator raising it becomes a validation error.
    """

    def __init__(self, message: str, *, option: str | None = None) -> None:
        super().__init__(message)
        self.option = option


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


class FileProblem(ReconcileError):
    """A file cannot be read as text at all; ``line`` is 0 when no line applies.

    ``also`` holds further problems of the same file, so that all of them are reported at once.
    The loader turns each into a :class:`Problem` of one :class:`ProfileError`.
    """

    def __init__(self, message: str, line: int = 0, *, also: list[FileProblem] | None = None):
        super().__init__(message)
        self.message = message
        self.line = line
        self.also = also or []


class YamlProblem(FileProblem):
    """The text is not acceptable YAML; ``line`` is 1-based (0 when unknown)."""


class InvalidValue(ReconcileError, ValueError):
    """A value Omneo would reject; the message says what is wrong in user terms.

    Also a ``ValueError``, so that a pydantic validator raising it becomes a validation error.
    """


class FakeDataError(ReconcileError, ValueError):
    """A call a template got wrong; the message says what to pass instead."""


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
    """The request got no answer: connection refused or dropped, or a timeout. ``tenant``
    names where it went ("tenant 'staging' at https://..."), when the client knows it."""

    def __init__(self, message: str, *, method: str = "", path: str = "", tenant: str = ""):
        self.tenant = tenant
        super().__init__(message, method=method, path=path)

    def _describe(self) -> str:
        where = f"{self.method} {self.path}".strip()
        if not self.tenant:
            return f"{where} failed: {self.api_message}"
        return f"cannot reach {self.tenant}: {self.api_message} ({where})"


class UnreadableAnswer(ApiError):
    """The tenant answered in a form reconcile cannot read. ``field`` names the part of the
    answer, ``received`` says what came (masked as reports mask that field)."""

    def __init__(self, field: str, received: str, *, method: str = "", path: str = "") -> None:
        self.field = field
        self.received = received
        super().__init__(f"{field} is {received}", method=method, path=path)

    def _describe(self) -> str:
        where = f"{self.method} {self.path}".strip()
        head = f"{where} answered" if where else "the tenant answered"
        return (
            f"{head} in a form reconcile cannot read ({self.field} is {self.received}); "
            "see docs/tenant-compatibility.md"
        )

    def at(self, method: str, path: str) -> UnreadableAnswer:
        """The same error, naming the request whose answer it is."""
        return UnreadableAnswer(self.field, self.received, method=method, path=path)


class PlanError(ReconcileError):
    """A saved plan is unreadable, corrupted, or for another project or tenant."""


class StalePlanError(PlanError):
    """The plan no longer describes the world: re-run ``reconcile plan``."""


class ProfileMovedError(StalePlanError):
    """A profile changed on the tenant between the plan and its write: it is left as it is now,
    and apply reports it as that profile's failure, never overwriting the edit."""


class UnsafePlanError(PlanError):
    """The plan needs ``--force`` or a flag (``--allow-delete``, ``--allow-purge``) to run."""


class OrderingError(PlanError):
    """The plan's changes cannot be ordered (two changes take the same unique value)."""


class ConflictError(ReconcileError):
    """The plan has conflicts; resolve them or pass ``--allow-conflicts`` to skip those profiles."""


class LockError(ReconcileError):
    """The tenant's apply lock is held by another run, or was broken while we held it."""


class LockLostError(LockError):
    """The apply lock was broken, taken over or lost while we held it: no write starts after
    the holder finds out; the journal records what was done, and ``--resume`` finishes it."""


class ApplyError(ReconcileError):
    """Some changes failed during apply; the others were applied and are in the journal."""


class YamlWriteError(ReconcileError):
    """A file to update is not YAML that can be edited safely; the message says why."""


class SourceError(ReconcileError):
    """``reconcile watch`` cannot fetch or read its git repository; ``permanent`` when trying
    again cannot help (credentials refused, no such repository or branch)."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent
