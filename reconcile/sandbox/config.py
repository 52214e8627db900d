"""How a sandbox tenant is set up: where it stores data, who may call it, which faults."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

# Well-known development credentials of the sandbox (documented in docs/sandbox.md). Never printed.
DEFAULT_TOKEN = "sandbox-admin-token"
READ_ONLY_TOKEN = "sandbox-read-token"

Scope = Literal["write", "read"]
# The forms the sandbox answers in (docs/sandbox.md, "Answer styles"): the API reference's, or
# the official SDK's types' (custom attributes as items, text ids, ISO timestamps, ...).
AnswerStyle = Literal["reference", "sdk"]

DEFAULT_PAGE_SIZE = 15
MAX_PAGE_SIZE = 500
MAX_BATCH_SIZE = 500


def _default_tokens() -> dict[str, Scope]:
    return {DEFAULT_TOKEN: "write", READ_ONLY_TOKEN: "read"}


class SandboxConfig(BaseModel):
    """Settings of one sandbox tenant. Faults are off by default.

    >>> SandboxConfig(db_path=Path("/tmp/x.db")).page_size_max
    500
    """

    model_config = ConfigDict(frozen=True)

    db_path: Path
    tokens: dict[str, Scope] = Field(default_factory=_default_tokens, repr=False)
    latency_ms: float = Field(default=0, ge=0)
    rate_limit_rps: float | None = Field(default=None, gt=0)
    error_rate: float = Field(default=0, ge=0, le=1)
    throttle_rate: float = Field(default=0, ge=0, le=1)  # share answered 429 + Retry-After: 1
    drop_rate: float = Field(default=0, ge=0, le=1)
    seed: int | None = None
    page_size_default: int = Field(default=DEFAULT_PAGE_SIZE, ge=1)
    page_size_max: int = Field(default=MAX_PAGE_SIZE, ge=1)
    batch_size_max: int = Field(default=MAX_BATCH_SIZE, ge=1)
    answer_style: AnswerStyle = "reference"  # how answers are shaped; writes are the same
    # False: POST/PUT /profiles and sync ignore comms, custom attributes and addresses given
    # inline, as a tenant might that takes them only through their own endpoints
    inline_parts: bool = True

    @model_validator(mode="after")
    def _default_fits_max(self) -> SandboxConfig:
        if self.page_size_default > self.page_size_max:
            raise ValueError("page_size_default may not exceed page_size_max")
        return self
