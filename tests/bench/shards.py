"""Opt-in benchmark scenario ``shards-1m``: a big tenant planned in shards, one after another.

Not part of the default run::

    python tests/bench/run.py --scenarios shards-1m                     # 1,000,000 in 8 shards
    python tests/bench/run.py --scenarios shards-1m --n-shards 200000   # a size that fits

The sandbox is seeded through its own storage layer (``server.py``), ``profiles.d/`` declares the
same N profiles, and ``reconcile plan --shard I/8`` runs as a separate process for each shard in
turn, so each line's peak RSS and wall time are one shard job's. The whole, unsharded plan runs
first (``shards-whole``, cold: it fills the parse cache; skip it with ``--shards-no-whole``), so
the shards run warm, as in CI with the parse cache kept (docs/ci.md); ``--shards-cold`` clears
the cache before each shard instead. Each shard's target: at most 1,000 MB plus the whole plan's
peak RSS divided by the number of shards (the whole plan's figure is measured here, or taken as
S4's 7.9 KB a profile when it is skipped). ``--shards-run K`` plans only the first K shards
(the others cost the same; no review then). ``shards-review`` renders the shards' plans as one
Markdown review (``reconcile show plans/shard-*.json``): its size and exit code.
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from run import Bench, Sandbox

NAMES = frozenset({"shards-1m"})
BASE_MB = 1000.0
WHOLE_KB_A_PROFILE = 7.9  # S4: 789 MB at 100,000 (docs/performance.md)
REVIEW_LIMIT = 65_536  # characters of one pull-request comment


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--n-shards", type=int, default=1_000_000, help="profiles for shards-1m")
    parser.add_argument("--shards", type=int, default=8, help="shards for shards-1m")
    parser.add_argument("--shards-cold", action="store_true", help="no parse cache per shard")
    parser.add_argument("--shards-no-whole", action="store_true", help="skip the whole plan")
    parser.add_argument(
        "--shards-run", type=int, default=None, help="plan only the first K shards (no review)"
    )


def run(bench: Bench, wanted: set[str]) -> None:
    """Run the scenario if asked for by name."""
    if wanted & NAMES:
        sharded(bench)


def sharded(bench: Bench) -> None:
    from run import target  # run.py imports this module: imported when called

    options = bench.options
    n, count = options.n_shards, options.shards
    sandbox = bench.sandbox("shards", n, options.rate_limit)
    try:
        root = bench.project("shards", n, sandbox.url, options.client_rps)
        shutil.rmtree(root / ".reconcile", ignore_errors=True)
        whole_mb = n * WHOLE_KB_A_PROFILE / 1024
        if not options.shards_no_whole:
            line = _plan(bench, root, sandbox, "shards-whole", ())
            whole_mb = line["peak_rss_mb"]
            bench.emit("shards-whole", {"seed_s": round(sandbox.seeded_s, 1), **line})
        bound = BASE_MB + whole_mb / count
        runs = count if options.shards_run is None else min(options.shards_run, count)
        for index in range(1, runs + 1):
            cold = options.shards_cold or (index == 1 and options.shards_no_whole)
            if options.shards_cold:
                shutil.rmtree(root / ".reconcile", ignore_errors=True)
            line = _plan(bench, root, sandbox, f"shard-{index}", ("--shard", f"{index}/{count}"))
            line["targets"] = {"peak_rss_mb": target(line["peak_rss_mb"], bound)}
            bench.emit("shards-1m", {"shard": f"{index}/{count}", "cache": _cache(cold), **line})
        if runs == count:  # the merged review needs every shard's plan
            _review(bench, root, count)
    finally:
        sandbox.stop()


def _cache(cold: bool) -> str:
    return "cold" if cold else "warm"


def _plan(bench: Bench, root: Path, sandbox: Sandbox, name: str, args: tuple[str, ...]) -> Any:
    from run import figures, plan_summary

    before = sandbox.stats(reset=True)
    plan_file = root / "plans" / f"{name}.json"
    plan_file.unlink(missing_ok=True)
    measured = bench.cli(name, root, "plan", "--tenant", "bench", "-o", str(plan_file), *args)
    found = figures(measured, sandbox.stats(), before)
    return {"n": bench.options.n_shards, **found, **plan_summary(plan_file)}


def _review(bench: Bench, root: Path, count: int) -> None:
    from run import target

    plans = [str(root / "plans" / f"shard-{i}.json") for i in range(1, count + 1)]
    measured = bench.cli(
        "shards-review", root, "show", *plans, "--format", "markdown", "--detailed-exitcode"
    )
    line: dict[str, Any] = {
        "plans": count,
        "characters": len(measured.stdout),
        "show_exit_code": measured.returncode,
        "wall_s": round(measured.wall_s, 3),
        "peak_rss_mb": round(measured.rss_mb, 1),
    }
    # One comment: within the limit, and shown (exit 0: no changes, 2: changes).
    shown = measured.returncode in (0, 2) and measured.stdout
    line["targets"] = {"one_comment": target(len(measured.stdout) if shown else None, REVIEW_LIMIT)}
    bench.emit("shards-review", line)
