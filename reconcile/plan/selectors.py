"""Which profile keys a plan covers: ``--target``, ``--exclude`` and ``--shard I/N``.

Selectors work on keys only (keys are names in git, not personal data), so they apply the same way
to declared profiles and to managed profiles found on the tenant; a plan made with selectors
therefore only deletes within its selection.

>>> s = Selectors(target=("vip-*",), exclude=("vip-test",))
>>> [k for k in ("vip-ann", "vip-test", "staff-bob") if s.selects(k)]
['vip-ann']
>>> shards = [Selectors(shard="1/2"), Selectors(shard="2/2")]
>>> sorted(sum(([k for k in ("a", "b", "c") if s.selects(k)] for s in shards), []))
['a', 'b', 'c']
"""

from __future__ import annotations

import hashlib
import re
from fnmatch import fnmatchcase

from pydantic import BaseModel, ConfigDict, field_validator

from reconcile.errors import OptionError

_SHARD = re.compile(r"^(\d+)/(\d+)$")


class Selectors(BaseModel):
    """The part of the tenant a plan covers; empty selectors cover every key."""

    model_config = ConfigDict(frozen=True)

    target: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    shard: str | None = None

    @field_validator("shard")
    @classmethod
    def _shard(cls, value: str | None) -> str | None:
        if value is not None:
            parse_shard(value)
        return value

    @property
    def is_everything(self) -> bool:
        return not (self.target or self.exclude or self.shard)

    def selects(self, key: str) -> bool:
        if self.target and not any(fnmatchcase(key, pattern) for pattern in self.target):
            return False
        if self.exclude and any(fnmatchcase(key, pattern) for pattern in self.exclude):
            return False
        if self.shard is not None:
            index, count = parse_shard(self.shard)
            return shard_of(key, count) == index
        return True

    def describe(self) -> str:
        """A short human description, e.g. ``target vip-*; shard 2/4`` (empty: everything)."""
        parts = []
        if self.target:
            parts.append("target " + ", ".join(self.target))
        if self.exclude:
            parts.append("exclude " + ", ".join(self.exclude))
        if self.shard:
            parts.append(f"shard {self.shard}")
        return "; ".join(parts)


def parse_shard(text: str) -> tuple[int, int]:
    """``"2/4"`` → ``(2, 4)``; shards are numbered from 1, as CI matrices usually are."""
    match = _SHARD.match(text.strip())
    if not match:
        raise OptionError(f"shard {text!r} must look like I/N, e.g. 1/4", option="--shard")
    index, count = int(match[1]), int(match[2])
    if not 1 <= index <= count:
        raise OptionError(f"shard {text!r}: I must be between 1 and N", option="--shard")
    return index, count


def shard_of(key: str, count: int) -> int:
    """The shard (1..count) a key belongs to: a stable hash, the same on every machine and run."""
    digest = hashlib.sha256(key.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % count + 1
