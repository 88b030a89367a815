"""Accuracy and speed of the tax-code matcher on labelled product names.

    python -m bench.match [path/to/labelled.csv] [--split test|dev|all] [-k 3]

The CSV needs the header ``product_name,code``. With the default set (the 550 labelled examples
in invoicing/data) the rows are split deterministically by a hash of the product name into a
dev half (used to tune the matcher) and a test half (reported; never tuned on); ``--split``
picks one (default: test). Other files are used whole. Runs without a database. The last line
printed is one JSON object.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import sys
import time
from pathlib import Path

DEFAULT_SET = Path(__file__).resolve().parent.parent / "invoicing" / "data" / "tax_code_match_examples.csv"


def split_of(product_name: str) -> str:
    """``dev`` or ``test``, stable across runs and machines."""
    return "test" if int(hashlib.sha256(product_name.encode("utf-8")).hexdigest(), 16) % 2 else "dev"


def load_rows(path: Path, split: str) -> list[dict]:
    with path.open(encoding="utf-8-sig") as handle:
        rows = [row for row in csv.DictReader(handle) if row.get("product_name") and row.get("code")]
    if split != "all":
        rows = [row for row in rows if split_of(row["product_name"]) == split]
    return rows


def evaluate(rows: list[dict], *, k: int = 3) -> dict:
    from invoicing.taxcodes import table
    from invoicing.taxcodes.matcher import suggest_from_table, warm_up

    started = time.perf_counter()
    warm_up()
    build_ms = (time.perf_counter() - started) * 1000
    hits = {"top1": 0, "top3": 0, "top1_short": 0, "top3_short": 0}
    misses = []
    elapsed = 0.0
    for row in rows:
        t0 = time.perf_counter()
        suggestions = suggest_from_table(row["product_name"], k=k)
        elapsed += time.perf_counter() - t0
        codes = [s.code for s in suggestions]
        wanted_short = table.short_name_of(row["code"])
        shorts = [s.short_name for s in suggestions]
        hits["top1"] += codes[:1] == [row["code"]]
        hits["top3"] += row["code"] in codes[:3]
        hits["top1_short"] += shorts[:1] == [wanted_short]
        hits["top3_short"] += wanted_short in shorts[:3]
        if row["code"] not in codes[:3]:
            misses.append((row["product_name"], row["code"], codes[:3]))
    n = len(rows)
    result = {"n": n, **{key: round(value / n, 4) if n else 0.0 for key, value in hits.items()}}
    result["ms_per_lookup"] = round(elapsed * 1000 / n, 3) if n else 0.0
    result["index_build_ms"] = round(build_ms, 1)
    return {"result": result, "misses": misses}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", nargs="?", default=str(DEFAULT_SET))
    parser.add_argument("--split", choices=["test", "dev", "all"], default=None)
    parser.add_argument("-k", type=int, default=3)
    parser.add_argument("--misses", action="store_true", help="list the names missed at top-3")
    args = parser.parse_args(argv)
    path = Path(args.path)
    is_default = path.resolve() == DEFAULT_SET
    split = args.split or ("test" if is_default else "all")
    outcome = evaluate(load_rows(path, split), k=args.k)
    if args.misses:
        from invoicing.taxcodes import table

        for name, code, got in outcome["misses"]:
            info = table.get_code(code)
            got_names = [table.get_code(c).name for c in got]
            print(f"{name} | want {info.name}/{table.short_name_of(code)} | got {got_names}")
    result = {"split": split, "path": str(path), **outcome["result"]}
    print(
        f"{split}: n={result['n']} top1={result['top1']:.3f} top3={result['top3']:.3f} "
        f"top1_short={result['top1_short']:.3f} top3_short={result['top3_short']:.3f} "
        f"{result['ms_per_lookup']:.2f} ms/lookup (index built in {result['index_build_ms']:.0f} ms)"
    )
    print(json.dumps(result, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
