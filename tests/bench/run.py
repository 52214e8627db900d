"""The benchmark (issues 8 and 14): plan and apply against a served, slow, rate-limited sandbox.

One command (not part of the default test run)::

    python tests/bench/run.py              # the full run: N = 10,000 / 5,000 / 100,000
    python tests/bench/run.py --quick      # a smoke run with small N, in well under a minute

It starts the sandbox with uvicorn in a separate process on 127.0.0.1 (a free port) with added
latency (``--latency-ms``, default 20) and, where a scenario asks for one, a rate limit; seeds the
tenant directly in that process (seeding is not measured); writes N deterministic synthetic
profiles to a ``profiles.d/``; and runs the real CLI as a separate process
(``python -m reconcile -C DIR plan --tenant bench``, token from an environment variable), so the
CPU seconds and peak RSS reported are the client's own (``os.wait4``). API calls are counted by
the sandbox process. Each scenario prints one JSON line:

- ``baseline-sequential`` / ``baseline-10-in-flight``: a naive script (for each profile, exact
  lookup then read), on a sample of the profiles; its time per profile is extrapolated to each N.
- ``S1`` (cold: no parse cache) and ``S1-warm``: plan, N managed profiles, none changed.
- ``S2``: the same with 1% of the profiles changed on the tenant (warm, like ``S1-warm``).
- ``S3-plan`` and ``S3``: plan, then a plain ``apply`` (it batches by itself), of N creates
  with the sandbox at 100 requests/s; ``S3-per-profile-plan`` and ``S3-per-profile``: the same
  with ``--no-bulk`` on a sample, its time per create extrapolated to N.
- ``S5``: creates applied one by one at a 100 requests/s limit while 5% of answers are a random
  429 (``Retry-After: 1``): share of the limit sustained. ``S6``: the client set to twice the
  limit: share of requests answered 429.
- ``S7-plan`` and ``S7``: N one-field updates (every profile of a seeded tenant gets a new first
  name) applied one by one at 100 requests/s.
- Every apply line reports its throughput in changes too (``changes.py``): ``changes_per_s``,
  ``requests_per_change``, ``x_of_change_bound``.
- ``S4``: plan, 100,000 managed profiles, none changed (cold): peak RSS and wall.
- ``local-cold`` / ``local-warm``: CPU µs per profile to load, validate, normalise, compare.

Targets are checked in each line under ``targets`` (``met`` true or false); the exit code is 0
whenever the benchmark ran, whether or not targets are met.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parent))

import changes
import shards
import synth

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent

TOKEN_ENV = "BENCH_OMNEO_TOKEN"
TOKEN = "sandbox-admin-token"  # the sandbox's public development token (see docs/sandbox.md)
PAGE_SIZE = 500
SCENARIOS = ("baselines", "S1", "S2", "local", "S3", "S3-per-profile", "S5", "S6", "S7", "S4")


@dataclass
class Sizes:
    n: int
    n_s3: int
    n_s4: int
    sample_sequential: int
    sample_parallel: int
    sample_s3_each: int
    drift: int
    n_s5: int  # creates applied one by one through 429s (S5 scattered, S6 over the limit)
    n_s7: int  # one-field updates applied one by one


FULL = Sizes(
    n=10_000,
    n_s3=5_000,
    n_s4=100_000,
    sample_sequential=300,
    sample_parallel=2_000,
    sample_s3_each=2_000,
    drift=100,
    n_s5=2_000,
    n_s7=10_000,
)
QUICK = Sizes(
    n=300,
    n_s3=200,
    n_s4=2_000,
    sample_sequential=40,
    sample_parallel=200,
    sample_s3_each=50,
    drift=3,
    n_s5=40,
    n_s7=40,
)


@dataclass
class Measured:
    """One client process: wall time, and its own CPU and peak RSS from ``wait4``."""

    returncode: int
    wall_s: float
    cpu_s: float
    rss_mb: float
    stdout: str
    stderr: str


def run_process(args: list[str], *, env: dict[str, str], log: Path, timeout: float) -> Measured:
    """Run ``args`` to completion; its rusage (children of it included) via ``os.wait4``."""
    out, err = log.with_suffix(".out"), log.with_suffix(".err")
    with out.open("wb") as stdout, err.open("wb") as stderr:
        started = time.perf_counter()
        process = subprocess.Popen(args, stdout=stdout, stderr=stderr, env=env, cwd=REPO)
        killer = threading.Timer(timeout, process.kill)
        killer.start()
        try:
            _, status, usage = os.wait4(process.pid, 0)
        finally:
            killer.cancel()
        wall = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    return Measured(
        returncode=process.returncode,
        wall_s=wall,
        cpu_s=usage.ru_utime + usage.ru_stime,
        rss_mb=usage.ru_maxrss / 1024,
        stdout=out.read_text(encoding="utf-8", errors="replace"),
        stderr=err.read_text(encoding="utf-8", errors="replace"),
    )


def child_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OMNEO_")}
    env.update(PYTHONPATH=str(REPO), NO_COLOR="1", **{TOKEN_ENV: TOKEN})
    return env


@dataclass
class Sandbox:
    """A sandbox served by uvicorn in its own process."""

    process: subprocess.Popen[bytes]
    port: int
    seeded_s: float

    @classmethod
    def start(
        cls,
        db: Path,
        *,
        seed: int,
        latency_ms: float,
        rate_limit: float | None,
        log: Path,
        throttle_rate: float = 0.0,
    ) -> Sandbox:
        args = [
            sys.executable,
            str(HERE / "server.py"),
            "--db",
            str(db),
            "--seed",
            str(seed),
            "--latency-ms",
            str(latency_ms),
        ]
        if rate_limit:
            args += ["--rate-limit", str(rate_limit)]
        if throttle_rate:
            args += ["--throttle-rate", str(throttle_rate)]
        process = subprocess.Popen(
            args, stdout=subprocess.PIPE, stderr=log.open("wb"), env=child_env(), cwd=REPO
        )
        assert process.stdout is not None
        line = process.stdout.readline().decode()
        if not line.startswith("PORT "):
            process.kill()
            raise SystemExit(f"the sandbox did not start; see {log}")
        _, port, _, seeded = line.split()
        sandbox = cls(process, int(port), float(seeded))
        sandbox.stats()  # answers once uvicorn accepts
        return sandbox

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/v3"

    def stats(self, reset: bool = False) -> dict[str, Any]:
        path = "/__bench/reset" if reset else "/__bench/stats"
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", method="POST")
        for _ in range(200):
            try:
                with urllib.request.urlopen(request, timeout=30) as response:
                    return dict(json.loads(response.read()))
            except OSError:
                time.sleep(0.05)
        raise SystemExit("the sandbox does not answer")

    def api(self, method: str, path: str, body: Any = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.url + path, data=data, method=method)
        request.add_header("Authorization", f"Bearer {TOKEN}")
        request.add_header("Content-Type", "application/json")
        with urllib.request.urlopen(request, timeout=60) as response:
            return json.loads(response.read() or b"null")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@dataclass
class Bench:
    """One benchmark run: options, a work folder, and the results so far (for the ratios)."""

    options: argparse.Namespace
    sizes: Sizes
    work: Path
    results: dict[str, dict[str, Any]] = field(default_factory=dict)

    def project(
        self, name: str, count: int, url: str, rps: float, *, addresses: bool = True
    ) -> Path:
        """A reconcile project declaring profiles 0..count-1, its tenant ``bench`` at ``url``."""
        root = self.work / name
        if not (root / "profiles.d").exists():
            synth.write_tree(root / "profiles.d", range(count), addresses=addresses)
        (root / "reconcile.toml").write_text(
            f'owner_handle = "{synth.OWNER}"\nphone_region = "AU"\n\n[tenants.bench]\n'
            f'url = "{url}"\ntoken_env = "{TOKEN_ENV}"\nkind = "test"\n'
            f"concurrency = {self.options.concurrency}\nrps = {rps}\n",
            encoding="utf-8",
        )
        return root

    def sandbox(
        self, name: str, seed: int, rate_limit: float | None, throttle_rate: float = 0.0
    ) -> Sandbox:
        db = self.work / f"{name}.db"
        for stale in self.work.glob(f"{name}.db*"):
            stale.unlink()
        return Sandbox.start(
            db,
            seed=seed,
            latency_ms=self.options.latency_ms,
            rate_limit=rate_limit,
            log=self.work / f"{name}-server.log",
            throttle_rate=throttle_rate,
        )

    def cli(self, name: str, root: Path, *args: str) -> Measured:
        command = [sys.executable, "-m", "reconcile", "-C", str(root), *args]
        measured = run_process(
            command, env=child_env(), log=self.work / name, timeout=self.options.timeout
        )
        if measured.returncode != 0:
            tail = measured.stderr.strip().splitlines()[-5:]
            print(f"# {name}: exit {measured.returncode}: {' | '.join(tail)}", file=sys.stderr)
        return measured

    def emit(self, name: str, line: dict[str, Any]) -> None:
        line = {"scenario": name, **line, "loadavg": [round(x, 2) for x in os.getloadavg()]}
        if line.get("exit_code", 0) != 0:  # a run that failed meets no target
            for verdict in line.get("targets", {}).values():
                verdict["met"] = False
        self.results[name] = line
        print(json.dumps(line), flush=True)

    def baseline_wall(self, which: str, n: int) -> float | None:
        line = self.results.get(which)
        return None if line is None else float(line["per_profile_s"]) * n


def figures(measured: Measured, stats: dict[str, Any], before: dict[str, Any]) -> dict[str, Any]:
    """The line's common figures; ``before`` is the sandbox's stats when the run started."""
    calls = int(stats["requests"])
    return {
        "wall_s": round(measured.wall_s, 3),
        "api_calls": calls,
        "rps": round(calls / measured.wall_s, 1) if measured.wall_s else None,
        "cpu_s": round(measured.cpu_s, 3),
        "peak_rss_mb": round(measured.rss_mb, 1),
        "server_cpu_s": round(stats["cpu_s"] - before["cpu_s"], 3),
        "statuses": stats["statuses"],
        "exit_code": measured.returncode,
    }


def target(value: float | None, limit: float, *, at_least: bool = False) -> dict[str, Any]:
    met = value is not None and (value >= limit if at_least else value <= limit)
    key = "min" if at_least else "max"
    return {"value": None if value is None else round(value, 3), key: limit, "met": met}


def ratios(bench: Bench, n: int, wall: float) -> dict[str, float | None]:
    """How many times faster than each baseline (its per-profile time extrapolated to ``n``)."""
    found: dict[str, float | None] = {}
    for name in ("baseline-sequential", "baseline-10-in-flight"):
        base = bench.baseline_wall(name, n)
        found["x_faster_than_" + name.removeprefix("baseline-").replace("-", "_")] = (
            round(base / wall, 2) if base is not None and wall else None
        )
    return found


def plan_summary(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    plan = json.loads(path.read_text(encoding="utf-8"))
    actions: dict[str, int] = {}
    for change in plan.get("changes", []):
        actions[change["action"]] = actions.get(change["action"], 0) + 1
    return {
        "plan_api_calls": plan.get("api_calls"),
        "changes": actions,
        "conflicts": len(plan.get("conflicts", [])),
        "unchanged": plan.get("unchanged"),
    }


def run_plan(bench: Bench, name: str, root: Path, sandbox: Sandbox, n: int) -> dict[str, Any]:
    before = sandbox.stats(reset=True)
    plan_file = root / "plans" / f"{name}.json"
    plan_file.unlink(missing_ok=True)
    measured = bench.cli(name, root, "plan", "--tenant", "bench", "-o", str(plan_file))
    line = {"n": n, **figures(measured, sandbox.stats(), before), **plan_summary(plan_file)}
    return {**line, **ratios(bench, n, measured.wall_s)}


# -- scenarios -----------------------------------------------------------------------------


def baselines(bench: Bench, root: Path, sandbox: Sandbox) -> None:
    for name, in_flight, sample in (
        ("baseline-sequential", 1, bench.sizes.sample_sequential),
        ("baseline-10-in-flight", 10, bench.sizes.sample_parallel),
    ):
        sample = min(sample, bench.sizes.n)
        before = sandbox.stats(reset=True)
        args = [
            sys.executable,
            str(HERE / "baseline.py"),
            "--url",
            sandbox.url,
            "--dir",
            str(root),
            "--limit",
            str(sample),
            "--in-flight",
            str(in_flight),
        ]
        measured = run_process(
            args, env=child_env(), log=bench.work / name, timeout=bench.options.timeout
        )
        result = json.loads(measured.stdout.strip().splitlines()[-1])
        per_profile = measured.wall_s / max(result["profiles"], 1)
        sizes = sorted({bench.sizes.n, bench.sizes.n_s4})
        bench.emit(
            name,
            {
                "in_flight": in_flight,
                "sample": result["profiles"],
                "differences": result["differences"],
                **figures(measured, sandbox.stats(), before),
                "per_profile_s": round(per_profile, 5),
                "extrapolated_wall_s": {str(n): round(per_profile * n, 1) for n in sizes},
            },
        )


def steady_state(bench: Bench, root: Path, sandbox: Sandbox) -> None:
    n = bench.sizes.n
    shutil.rmtree(root / ".reconcile", ignore_errors=True)
    cold = run_plan(bench, "S1", root, sandbox, n)
    cold["targets"] = {
        "api_calls": target(cold["api_calls"], n / PAGE_SIZE + 10),
        "x_faster_than_sequential": target(cold["x_faster_than_sequential"], 20, at_least=True),
        "x_faster_than_10_in_flight": target(cold["x_faster_than_10_in_flight"], 3, at_least=True),
        "steady_state_unchanged": target(cold.get("unchanged"), n, at_least=True),
    }
    bench.emit("S1", {"cache": "cold", **cold})
    warm = run_plan(bench, "S1-warm", root, sandbox, n)
    bench.emit("S1-warm", {"cache": "warm", **warm})


def drift(bench: Bench, root: Path, sandbox: Sandbox) -> None:
    n, count = bench.sizes.n, bench.sizes.drift
    step = max(n // count, 1)

    def change(i: int) -> None:
        path = f"/profiles/{quote(synth.key(i), safe='')}?identity%5Bhandle%5D={synth.OWNER}"
        profile_id = sandbox.api("GET", path)["data"]["id"]
        sandbox.api("PUT", f"/profiles/{profile_id}", {"first_name": "Drifted"})

    with ThreadPoolExecutor(max_workers=10) as pool:
        list(pool.map(change, range(0, step * count, step)))
    line = run_plan(bench, "S2", root, sandbox, n)
    s1 = bench.results.get("S1-warm")
    ratio = line["wall_s"] / s1["wall_s"] if s1 else None
    line["x_of_S1_warm"] = None if ratio is None else round(ratio, 3)
    line["targets"] = {
        "x_of_S1_warm": target(ratio, 1.3),
        "updates_found": target(line.get("changes", {}).get("update"), count, at_least=True),
    }
    bench.emit("S2", {"drifted": count, "cache": "warm", **line})


def local_cost(bench: Bench, root: Path) -> None:
    args = [sys.executable, str(HERE / "localcost.py"), "--dir", str(root), "--tenant", "bench"]
    shutil.rmtree(root / ".reconcile", ignore_errors=True)
    for name, limit in (("local-cold", 350), ("local-warm", 60)):
        measured = run_process(
            args, env=child_env(), log=bench.work / name, timeout=bench.options.timeout
        )
        if measured.returncode != 0:
            print(f"# {name}: {measured.stderr.strip()[-400:]}", file=sys.stderr)
            continue
        result = json.loads(measured.stdout.strip().splitlines()[-1])
        result["targets"] = {"us_per_profile": target(result["us_per_profile"], limit)}
        bench.emit(
            name,
            {
                **result,
                "process_cpu_s": round(measured.cpu_s, 3),
                "peak_rss_mb": round(measured.rss_mb, 1),
            },
        )


def seeding(bench: Bench, wanted: set[str]) -> None:
    """S3 twice, each on an empty tenant: a plain ``apply`` (it batches the N creates through
    ``POST /profiles/batch`` by itself, as that takes fewer requests), and the per-profile engine
    (``--no-bulk``) on a sample, its time per create extrapolated to N."""
    n, rate = bench.sizes.n_s3, bench.options.s3_rate_limit
    sample = min(n, bench.sizes.sample_s3_each)
    for name, count, extra in (("S3", n, []), ("S3-per-profile", sample, ["--no-bulk"])):
        if name not in wanted:
            continue
        sandbox = bench.sandbox(name.lower(), 0, rate)
        try:
            root = bench.project(name.lower(), count, sandbox.url, rate)
            plan = run_plan(bench, f"{name}-plan", root, sandbox, count)
            bench.emit(f"{name}-plan", {"rate_limit_rps": rate, **plan})
            plan_file = str(root / "plans" / f"{name}-plan.json")
            before = sandbox.stats(reset=True)
            measured = bench.cli(name, root, "apply", plan_file, "--tenant", "bench", *extra)
            figures_ = figures(measured, sandbox.stats(), before)
            bench.emit(name, seeding_line(n, count, rate, measured, figures_))
        finally:
            sandbox.stop()


def updates(bench: Bench) -> None:
    """S7: a tenant seeded with N profiles, each changed in one field in profiles.d/, applied one
    by one (``--no-bulk``) at the S3 rate limit."""
    n, rate = bench.sizes.n_s7, bench.options.s3_rate_limit
    sandbox = bench.sandbox("s7", n, rate)
    try:
        root = bench.project("s7", n, sandbox.url, rate)
        changes.rename_everyone(root / "profiles.d")
        plan = run_plan(bench, "S7-plan", root, sandbox, n)
        bench.emit("S7-plan", {"rate_limit_rps": rate, **plan})
        plan_file = str(root / "plans" / "S7-plan.json")
        before = sandbox.stats(reset=True)
        measured = bench.cli(
            "S7", root, "apply", plan_file, "--tenant", "bench", "--no-bulk", "--force"
        )
        line = figures(measured, sandbox.stats(), before)
        line = {"updates": n, "rate_limit_rps": rate, **line, "failed": _failed(measured.stderr)}
        line.update(changes.figures(n, measured.wall_s, line["api_calls"], rate))
        line["targets"] = {
            **changes.one_by_one_targets(line, target),
            "failed": target(line["failed"], 0),
        }
        bench.emit("S7", line)
    finally:
        sandbox.stop()


def throttled(bench: Bench, wanted: set[str]) -> None:
    """S5: creates applied one by one at the tenant's limit while 5% of answers are a random 429
    (``Retry-After: 1``): the pacer must keep at least half the limit. S6: the same with the
    client configured at twice the tenant's real limit: it must find the limit, with at most 1%
    of requests answered 429."""
    n, rate = bench.sizes.n_s5, bench.options.s3_rate_limit
    for name, client_rps, scattered in (("S5", rate, 0.05), ("S6", 2 * rate, 0.0)):
        if name not in wanted:
            continue
        sandbox = bench.sandbox(name.lower(), 0, rate, throttle_rate=scattered)
        try:
            root = bench.project(name.lower(), n, sandbox.url, client_rps)
            plan_file = root / "plans" / f"{name}.json"
            planned = bench.cli(
                f"{name}-plan", root, "plan", "--tenant", "bench", "-o", str(plan_file)
            )
            before = sandbox.stats(reset=True)
            measured = bench.cli(
                name, root, "apply", str(plan_file), "--tenant", "bench", "--no-bulk"
            )
            line = figures(measured, sandbox.stats(), before)
            bench.emit(name, throttled_line(n, rate, client_rps, scattered, measured, line))
            if planned.returncode != 0:
                print(f"# {name}: the plan failed", file=sys.stderr)
        finally:
            sandbox.stop()


def throttled_line(
    n: int,
    rate: float,
    client_rps: float,
    scattered: float,
    measured: Measured,
    figures_: dict[str, Any],
) -> dict[str, Any]:
    statuses = figures_["statuses"]
    total = sum(int(count) for count in statuses.values())
    refused = int(statuses.get("429", 0))
    sustained = (total - refused) / measured.wall_s if measured.wall_s else 0.0
    line: dict[str, Any] = {
        "creates": n,
        "rate_limit_rps": rate,
        "client_rps": client_rps,
        "scattered_429": scattered,
        **figures_,
        "answered_429": refused,
        "share_429": round(refused / total, 4) if total else None,
        "sustained_rps": round(sustained, 1),
        "x_of_limit": round(sustained / rate, 3),
        "failed": _failed(measured.stderr),
        **changes.figures(n, measured.wall_s, figures_["api_calls"], rate),
    }
    if scattered:
        line["targets"] = {
            "x_of_limit": target(sustained / rate, 0.5, at_least=True),
            **changes.scattered_targets(line, target),
            "failed": target(line["failed"], 0),
        }
    else:
        line["targets"] = {
            "share_429": target(line["share_429"], 0.01),
            "failed": target(line["failed"], 0),
        }
    return line


def seeding_line(
    n: int, count: int, rate: float, measured: Measured, figures_: dict[str, Any]
) -> dict[str, Any]:
    wall_at_n = measured.wall_s / count * n
    failed = _failed(measured.stderr)
    line: dict[str, Any] = {"n": n, "creates": count, "rate_limit_rps": rate, **figures_}
    if count != n:
        line["extrapolated_wall_s"] = round(wall_at_n, 1)
    line["x_of_rate_limit_bound"] = round(wall_at_n / (n / rate), 3)
    line["failed"] = failed
    line.update(changes.figures(count, measured.wall_s, figures_["api_calls"], rate))
    line["targets"] = {"failed": target(failed, 0)}
    if count == n:  # the target is the plain apply's; --no-bulk (a sample) is the reference
        line["targets"]["x_of_rate_limit_bound"] = target(wall_at_n / (n / rate), 1.2)
    else:  # one by one: about one request per change
        line["targets"].update(changes.one_by_one_targets(line, target))
    return line


def _failed(stderr: str) -> int | None:
    for text in reversed(stderr.splitlines()):
        if "applied," in text and "failed" in text:
            words = text.replace(",", " ").split()
            return int(words[words.index("failed") - 1])
    return None


def scale(bench: Bench) -> None:
    n = bench.sizes.n_s4
    sandbox = bench.sandbox("s4", n, bench.options.rate_limit)
    try:
        root = bench.project("s4", n, sandbox.url, bench.options.client_rps)
        shutil.rmtree(root / ".reconcile", ignore_errors=True)
        line = run_plan(bench, "S4", root, sandbox, n)
        line["targets"] = {
            "peak_rss_mb": target(line["peak_rss_mb"], 600),
            "wall_s": target(line["wall_s"], 25),
            "steady_state_unchanged": target(line.get("unchanged"), n, at_least=True),
        }
        bench.emit("S4", {"cache": "cold", "seed_s": round(sandbox.seeded_s, 1), **line})
    finally:
        sandbox.stop()


def main_scenarios(bench: Bench, wanted: set[str]) -> None:
    if wanted & {"baselines", "S1", "S2", "local"}:
        sandbox = bench.sandbox("s1", bench.sizes.n, bench.options.rate_limit)
        try:
            root = bench.project("s1", bench.sizes.n, sandbox.url, bench.options.client_rps)
            bench.emit(
                "setup",
                {
                    "seeded": bench.sizes.n,
                    "seed_s": round(sandbox.seeded_s, 1),
                    "latency_ms": bench.options.latency_ms,
                    "rate_limit_rps": bench.options.rate_limit,
                    "loadavg": [round(x, 2) for x in os.getloadavg()],
                },
            )
            if "baselines" in wanted:
                baselines(bench, root, sandbox)
            if "S1" in wanted or "S2" in wanted:
                steady_state(bench, root, sandbox)
            if "local" in wanted:
                local_cost(bench, root)
            if "S2" in wanted:
                drift(bench, root, sandbox)
        finally:
            sandbox.stop()
    if wanted & {"S3", "S3-per-profile"}:
        seeding(bench, wanted | ({"S3-per-profile"} if "S3" in wanted else set()))
    if wanted & {"S5", "S6"}:
        throttled(bench, wanted)
    if "S7" in wanted:
        updates(bench)
    if "S4" in wanted:
        scale(bench)
    shards.run(bench, wanted)  # opt-in: tests/bench/shards.py


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small N: a smoke run")
    parser.add_argument("--n", type=int, help="profiles for S1/S2 and the baselines")
    parser.add_argument("--n-s3", type=int, help="creates for S3")
    parser.add_argument("--n-s4", type=int, help="profiles for S4")
    parser.add_argument("--n-s5", type=int, help="creates for S5 and S6")
    parser.add_argument("--n-s7", type=int, help="updates for S7")
    parser.add_argument("--samples", help="samples SEQUENTIAL,PARALLEL[,S3_PER_PROFILE]")
    parser.add_argument("--latency-ms", type=float, default=20.0, help="added per request")
    parser.add_argument(
        "--rate-limit",
        type=float,
        default=None,
        help="sandbox rate limit (req/s) for the plan scenarios; default none",
    )
    parser.add_argument("--s3-rate-limit", type=float, default=100.0)
    parser.add_argument(
        "--client-rps",
        type=float,
        default=1000.0,
        help="the client's own limit (tenant rps) for the plan scenarios",
    )
    parser.add_argument("--concurrency", type=int, default=16, help="the client's in flight")
    parser.add_argument(
        "--scenarios",
        default=",".join(SCENARIOS),
        help=f"comma-separated subset of {','.join(SCENARIOS)}",
    )
    parser.add_argument("--work", type=Path, help="work folder (kept); default a temporary one")
    parser.add_argument("--timeout", type=float, default=600.0, help="per process, seconds")
    shards.add_arguments(parser)
    return parser.parse_args(argv)


def sizes_for(options: argparse.Namespace) -> Sizes:
    base = QUICK if options.quick else FULL
    sizes = Sizes(**vars(base))
    sizes.n = options.n or sizes.n
    sizes.n_s3 = options.n_s3 or sizes.n_s3
    sizes.n_s4 = options.n_s4 or sizes.n_s4
    sizes.n_s5 = options.n_s5 or sizes.n_s5
    sizes.n_s7 = options.n_s7 or sizes.n_s7
    if options.samples:
        samples = [int(part) for part in options.samples.split(",")]
        sizes.sample_sequential, sizes.sample_parallel = samples[:2]
        sizes.sample_s3_each = samples[2] if len(samples) > 2 else sizes.sample_s3_each
    sizes.drift = min(sizes.drift, sizes.n)
    return sizes


def main(argv: list[str] | None = None) -> None:
    options = parse_args(argv)
    wanted = set(options.scenarios.split(","))
    if unknown := wanted - set(SCENARIOS) - shards.NAMES:
        raise SystemExit(f"unknown scenarios: {', '.join(sorted(unknown))}")
    work = options.work or Path(tempfile.mkdtemp(prefix="reconcile-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    bench = Bench(options, sizes_for(options), work)
    started = time.perf_counter()
    try:
        main_scenarios(bench, wanted)
    finally:
        if options.work is None:
            shutil.rmtree(work, ignore_errors=True)
    bench.emit("total", {"wall_s": round(time.perf_counter() - started, 1), **machine()})


def machine() -> dict[str, Any]:
    model = ""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for text in cpuinfo.read_text().splitlines():
            if text.startswith("model name"):
                model = text.split(":", 1)[1].strip()
                break
    return {
        "nproc": os.cpu_count(),
        "cpu": model,
        "python": sys.version.split()[0],
        "loadavg": [round(x, 2) for x in os.getloadavg()],
    }


if __name__ == "__main__":
    main()
