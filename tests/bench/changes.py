"""Throughput in changes, for the benchmark's apply scenarios (``run.py``).

A user waits for changes, not requests: each apply line carries ``changes``, ``changes_per_s``
and ``requests_per_change`` beside ``rps``, and the targets of issue 24:

- applied one by one (``S3-per-profile``, ``S7``), creates and updates take at most 1.25 times
  the bound of one request per change at the tenant's limit (``x_of_change_bound``), and cost at
  most 1.25 requests each (the lock, the checks and the listings counted);
- under 5% scattered 429s (``S5``), at least 70% of the limit in changes per second.

``S7`` is the update scenario: a tenant seeded with N profiles, every one of them changed in one
field (a new first name) in ``profiles.d/``, applied one by one at 100 requests/s.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

BOUND_FACTOR = 1.25  # one-by-one changes: at most this many times one request per change
REQUESTS_PER_CHANGE = 1.25
SCATTERED_SHARE = 0.70  # of the limit, in changes per second, under 5% scattered 429s


class Target(Protocol):
    def __call__(
        self, value: float | None, limit: float, *, at_least: bool = False
    ) -> dict[str, Any]: ...


def figures(changes: int, wall_s: float, api_calls: int, rate: float) -> dict[str, Any]:
    """Changes per second, requests per change, and the wall against the bound of one request
    per change at ``rate``."""
    per_s = changes / wall_s if wall_s else None
    return {
        "changes": changes,
        "changes_per_s": None if per_s is None else round(per_s, 1),
        "changes_x_of_limit": None if per_s is None else round(per_s / rate, 3),
        "requests_per_change": round(api_calls / changes, 3) if changes else None,
        "x_of_change_bound": round(wall_s / (changes / rate), 3) if changes else None,
    }


def one_by_one_targets(line: dict[str, Any], target: Target) -> dict[str, Any]:
    """The targets of creates or updates applied one by one."""
    return {
        "x_of_change_bound": target(line["x_of_change_bound"], BOUND_FACTOR),
        "requests_per_change": target(line["requests_per_change"], REQUESTS_PER_CHANGE),
    }


def scattered_targets(line: dict[str, Any], target: Target) -> dict[str, Any]:
    """The target under scattered 429s: a share of the limit in changes per second."""
    return {
        "changes_x_of_limit": target(line["changes_x_of_limit"], SCATTERED_SHARE, at_least=True)
    }


def rename_everyone(profiles: Path) -> None:
    """A one-field update of every declared profile: a new first name."""
    for path in sorted(profiles.glob("*.yaml")):
        text = path.read_text(encoding="utf-8")
        path.write_text(text.replace('first_name: "', 'first_name: "Re'), encoding="utf-8")
