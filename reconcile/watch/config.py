"""How the agent is configured: ``[tenants.NAME.watch]`` in reconcile.toml says how it treats
one tenant (:class:`WatchPolicy`); the ``reconcile watch`` options say how it runs
(:class:`AgentConfig`).

::

    [tenants.staging.watch]
    mode = "self-heal"    # or "drift-only"; default: self-heal on test tenants, drift-only else
    prune = true          # apply deletes the plan holds (default false)
    purge = false         # apply GDPR purges declared in profiles.d/ (default false)

Only pydantic is imported here: the settings read this section without loading the agent.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict

Mode = Literal["self-heal", "drift-only"]
Kind = Literal["test", "production"]


class WatchPolicy(BaseModel):
    """One tenant's watch policy as written; :meth:`mode_for` fills in the default mode."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    mode: Mode | None = None
    prune: bool = False
    purge: bool = False

    def mode_for(self, kind: Kind) -> Mode:
        """The mode in force: as written, else self-heal on a test tenant, drift-only else."""
        if self.mode is not None:
            return self.mode
        return "self-heal" if kind == "test" else "drift-only"


class AgentConfig(BaseModel):
    """How the agent runs (the ``reconcile watch`` options)."""

    model_config = ConfigDict(frozen=True)

    state: Path  # the project's state folder; the agent's own files go under watch/
    tenants: tuple[str, ...]
    interval: float = 180.0
    host: str = "127.0.0.1"
    port: int = 8710
    lock_wait: float = 10.0
    history_keep: int = 200
    webhook_secret: bytes | None = None
    notify_url: str | None = None
    slack_url: str | None = None
