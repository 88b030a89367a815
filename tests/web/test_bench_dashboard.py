"""Smoke test of bench.dashboard at tiny sizes (the real sizes take minutes)."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_it_prints_one_json_line_with_both_timings():
    env = {**os.environ, "BENCH_DASHBOARD_DB": "kaipiao_bench_dash_smoke"}
    result = subprocess.run([sys.executable, "-m", "bench.dashboard", "--sizes", "1000,3000", "--stores", "3",
                             "--runs", "2"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    last = result.stdout.strip().splitlines()[-1]
    data = json.loads(last)
    assert data["ms_at_1k"] > 0 and data["ms_at_3k"] > 0 and "ratio" in data
