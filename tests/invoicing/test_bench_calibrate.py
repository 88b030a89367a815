"""Smoke test of ``python -m bench.calibrate --labels FILE`` (issue 16): its last line is JSON."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_labels_prints_the_figures_as_json(tmp_path):
    labels = tmp_path / "labels.csv"
    # product_name,code plus a column the bench must ignore; one right-and-easy name, one
    # name labelled with a code the matcher will not put first, so top1 is exactly 0.5.
    labels.write_text(
        "product_name,code,whatever\n"
        "纯牛奶 250ml*16盒,1030204010000000000,x\n"
        "纯牛奶 1L,1090101010000000000,y\n",
        encoding="utf-8",
    )
    done = subprocess.run(
        [sys.executable, "-m", "bench.calibrate", "--labels", str(labels)],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert {"n", "threshold", "coverage", "precision", "top1", "top3"} <= set(result)
    assert result["n"] == 2
    assert result["top1"] == 0.5
    assert 0.5 <= result["threshold"] <= 1.0  # the company default, read from the model
    assert 0.0 <= result["coverage"] <= 1.0 and 0.0 <= result["precision"] <= 1.0
