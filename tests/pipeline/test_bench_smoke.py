"""bench.pipeline still runs end to end (tiny N), so the benchmark cannot rot."""

import json
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parents[2]


def test_bench_pipeline_runs_with_a_few_orders():
    env = dict(os.environ)
    env.pop("TEST_DATABASE_NAME", None)
    # The bench flushes its Redis database: give it one of its own, never the tests' one.
    redis_url = urlparse(env["REDIS_URL"])
    if redis_url.scheme == "unix":
        env["REDIS_URL"] = f"unix://{redis_url.path}?db=14"
    else:
        env["REDIS_URL"] = redis_url._replace(path="/14").geturl()
    result = subprocess.run([sys.executable, "-m", "bench.pipeline", "--orders", "20", "--timeout", "45"],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    last = json.loads(result.stdout.strip().splitlines()[-1])
    assert last["orders"] == 20 and last["duplicates"] == 0 and last["lost"] == 0
    assert last["issued_per_s"] > 0 and last["baseline_per_s"] > 0
    assert set(last) == {"orders", "issued_per_s", "intake_per_s", "p50_ms", "p95_ms", "baseline_per_s",
                         "duplicates", "lost"}


def test_bench_faults_survives_every_outage_with_a_few_orders():
    """bench.faults in small: own PostgreSQL and Redis, worker killed with SIGKILL, Redis stopped
    5 s, PostgreSQL restarted, every sandbox fault — every order issued once, every refund
    reversed once, no process restarted by hand (issue 13, item 4)."""
    env = dict(os.environ)
    env.pop("TEST_DATABASE_NAME", None)
    result = subprocess.run([sys.executable, "-m", "bench.faults", "--orders", "20", "--redis-outage", "5",
                             "--timeout", "120"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=240)
    assert result.returncode == 0, result.stderr[-3000:]
    last = json.loads(result.stdout.strip().splitlines()[-1])
    assert last["orders"] == 20 and last["issued"] == 20, last
    assert last["refunds"] == 4 and last["reversed"] == 4, last
    assert last["duplicates"] == 0 and last["lost"] == 0 and last["manual_restarts"] == 0, last
    assert {"orders", "issued", "duplicates", "lost", "server_errors", "manual_restarts"} <= set(last)
