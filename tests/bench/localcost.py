"""The local cost of a plan: CPU per profile to load, validate, normalise and compare.

Run by ``run.py`` in a fresh process, once with ``.reconcile/`` removed (cold) and once after that
(warm: ``profiles.d/`` unchanged, so the loader may use its parse cache). The tenant's profiles are
fetched first and not counted; only the work on this machine is timed: the CPU seconds of this
process and of the worker processes a cold load parses on (``os.times``). Prints one JSON object.

    python tests/bench/localcost.py --dir DIR --tenant bench
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent.parent))

from reconcile.collector import paused
from reconcile.model.observed import ObservedProfile
from reconcile.plan.build import PlanOptions, assemble_plan
from reconcile.plan.match import TenantIndex
from reconcile.project.config import begin_declared
from reconcile.settings import Settings, load_settings, resolve_target
from reconcile.tenant.client import OmneoClient


async def fetch_owned(settings: Settings, tenant: str) -> dict[str, ObservedProfile]:
    target = resolve_target(settings, tenant, os.environ)
    async with OmneoClient.open(target) as client:
        owned = await client.list_identities(settings.owner_handle)
    return {o.identifier: o.profile for o in owned}


def compare(declared: Any, owned: dict[str, ObservedProfile], settings: Settings) -> int:
    """What the planner does once the tenant is fetched: index, match, diff, assemble."""
    index = TenantIndex(settings.owner_handle)
    index.add(owned.values())
    options = PlanOptions(tenant="bench", owner_handle=settings.owner_handle)
    return len(assemble_plan(declared, owned, index, options).changes)


def cpu() -> float:
    """CPU seconds of this process and of its finished children (the loader's workers)."""
    times = os.times()
    return times.user + times.system + times.children_user + times.children_system


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dir", type=Path, required=True)
    parser.add_argument("--tenant", default="bench")
    args = parser.parse_args()
    settings = load_settings(args.dir)
    owned = asyncio.run(fetch_owned(settings, args.tenant))
    with paused():  # as `reconcile plan` does
        started = cpu()
        declared = begin_declared(settings).result()
        loaded = cpu()
        changed = compare(declared, owned, settings)
        compared = cpu()
    count = len(declared.profiles)
    print(
        json.dumps(
            {
                "profiles": count,
                "changed": changed,
                "load_cpu_s": round(loaded - started, 4),
                "compare_cpu_s": round(compared - loaded, 4),
                "us_per_profile": round((compared - started) / max(count, 1) * 1e6, 1),
                "load_us_per_profile": round((loaded - started) / max(count, 1) * 1e6, 1),
                "compare_us_per_profile": round((compared - loaded) / max(count, 1) * 1e6, 1),
            }
        )
    )


if __name__ == "__main__":
    main()
