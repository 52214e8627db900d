"""The benchmark harness (tests/bench/run.py) runs end to end, so it cannot rot between runs.

Tiny N and 1 ms of latency: this checks that every scenario runs and reports, and that the seeded
tenant really is in steady state with the generated tree, not the figures themselves.
"""

from __future__ import annotations

import json
import subprocess
import sys

from tests.conftest import REPO


def test_the_quick_benchmark_reports_every_scenario() -> None:
    command = [
        sys.executable,
        str(REPO / "tests" / "bench" / "run.py"),
        "--quick",
        "--n",
        "30",
        "--n-s3",
        "10",
        "--n-s4",
        "60",
        "--samples",
        "5,10,4",
        "--latency-ms",
        "1",
        "--s3-rate-limit",
        "1000",
        "--timeout",
        "120",
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    lines = {line["scenario"]: line for line in map(json.loads, done.stdout.splitlines())}

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
    for name in expected - {"setup", "total", "local-cold", "local-warm"}:
        assert lines[name]["exit_code"] == 0, (name, done.stderr)
        assert lines[name]["api_calls"] > 0 and lines[name]["peak_rss_mb"] > 0
    assert lines["S1"]["unchanged"] == 30 and lines["S1"]["changes"] == {}
    assert lines["S1"]["targets"]["api_calls"]["met"]
    assert lines["S2"]["changes"] == {"update": 3}
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
