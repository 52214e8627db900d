"""The benchmark harness (tests/bench/run.py) runs end to end, so it cannot rot between runs.

Tiny N and 1 ms of latency: this checks that every scenario runs and reports, and that the seeded
tenant really is in steady state with the generated tree, not the figures themselves. Every
scenario runs in the slow set; the default run keeps the steady-state and drift scenarios (one
sandbox, three plans), with the same checks on them.
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest

from tests.conftest import REPO

QUICK = ["--quick", "--n", "30", "--latency-ms", "1", "--timeout", "120"]


def run_benchmark(*options: str) -> dict[str, dict[str, Any]]:
    """Each line the benchmark printed, by its scenario."""
    command = [sys.executable, str(REPO / "tests" / "bench" / "run.py"), *QUICK, *options]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    return {line["scenario"]: line for line in map(json.loads, done.stdout.splitlines())}


def assert_ran(lines: dict[str, dict[str, Any]], names: set[str]) -> None:
    for name in names:
        assert lines[name]["exit_code"] == 0, (name, lines[name])
        assert lines[name]["api_calls"] > 0 and lines[name]["peak_rss_mb"] > 0


def assert_steady_state_and_drift(lines: dict[str, dict[str, Any]]) -> None:
    assert lines["S1"]["unchanged"] == 30 and lines["S1"]["changes"] == {}
    assert lines["S1"]["targets"]["api_calls"]["met"]
    assert lines["S2"]["changes"] == {"update": 3}


def test_the_steady_state_and_drift_scenarios_report() -> None:
    lines = run_benchmark("--scenarios", "S1,S2")

    assert set(lines) == {"setup", "S1", "S1-warm", "S2", "total"}
    assert_ran(lines, {"S1", "S1-warm", "S2"})
    assert_steady_state_and_drift(lines)


@pytest.mark.slow  # every scenario: about 25 s of CPU in all
def test_the_quick_benchmark_reports_every_scenario() -> None:
    lines = run_benchmark(
        *("--n-s3", "10", "--n-s4", "60", "--samples", "5,10,4", "--s3-rate-limit", "1000")
    )

    expected = {
        "setup",
        "baseline-sequential",
        "baseline-10-in-flight",
        "S1",
        "S1-warm",
        "local-cold",
        "local-warm",
        "S2",
        "S3-plan",
        "S3",
        "S3-per-profile-plan",
        "S3-per-profile",
        "S5",
        "S6",
        "S7-plan",
        "S7",
        "S4",
        "total",
    }
    assert set(lines) == expected
    assert_ran(lines, expected - {"setup", "total", "local-cold", "local-warm"})
    assert_steady_state_and_drift(lines)
    assert lines["S3-plan"]["changes"] == {"create": 10}
    assert lines["S3"]["failed"] == 0 and lines["S3-per-profile"]["failed"] == 0
    assert lines["S3-per-profile"]["creates"] == 4
    assert lines["S4"]["unchanged"] == 60
    assert lines["S5"]["failed"] == 0 and lines["S6"]["failed"] == 0
    assert lines["S5"]["creates"] == 40 and "x_of_limit" in lines["S5"]["targets"]
    assert lines["S7-plan"]["changes"] == {"update": 40}
    assert lines["S7"]["failed"] == 0 and lines["S7"]["changes"] == 40
    for name in ("S3-per-profile", "S5", "S6", "S7"):  # throughput in changes, beside requests
        line = lines[name]
        assert line["changes_per_s"] > 0 and line["requests_per_change"] > 0 and line["rps"] > 0
    assert "requests_per_change" in lines["S7"]["targets"]
    assert "changes_x_of_limit" in lines["S5"]["targets"]
    assert lines["local-warm"]["profiles"] == 30
    assert lines["baseline-sequential"]["api_calls"] == 2 * 5
