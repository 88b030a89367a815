"""Accuracy and speed of the tax-code matcher on labelled product names.

    python -m bench.match [labelled.csv] [--split test|dev|all] [--history PATH | --no-history] [-k 3]

CSVs need the header ``product_name,code`` (other columns are ignored). Runs without a database.

Protocol (honest by construction):

* The default set is the 550 labelled examples in invoicing/data. Its rows are split
  deterministically by a SHA-256 of the product name into a *dev* half (274 rows) and a *test*
  half (276 rows).
* ``--split test`` (the default for the default set): the dev half plays the company's
  history — products it already coded — and the test half is evaluated. The matcher was tuned
  on the dev half only; test names and labels are never in the code, the synonyms or the
  history.
* ``--split dev``: what tuning uses. Each dev row is evaluated with the *other* dev rows as
  history (leave-one-out), so a row never sees its own label.
* ``--split all``: all 550 rows, table only (no history: every row would be someone's label).
* ``--all-others`` (with ``--split test``): each test row is evaluated with every *other*
  labelled row as history (the dev half and the other 275 test rows): a company that has
  already coded ~550 products. Still never its own label, and the test rows were not tuned on.
* ``--history PATH`` replaces the history by a labelled CSV of your own; ``--no-history``
  evaluates the table alone. A history row with exactly the same product name as an evaluated
  row is dropped (counted in ``history_dropped``), so a label never answers its own question.
  Other files than the default set are evaluated whole, with no history unless given.

Every run with history also evaluates the table alone on the same rows, so both figures are
visible. "short" accuracy compares the codes' short names (简称, e.g. 乳制品) instead of the
codes. The last line printed is one JSON object for the main configuration: n, top1, top3,
top1_short, top3_short, ms_per_lookup, history_n, and table_only_* for the table alone.
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
    with Path(path).open(encoding="utf-8-sig") as handle:
        rows = [row for row in csv.DictReader(handle) if row.get("product_name") and row.get("code")]
    rows = [{"product_name": row["product_name"].strip(), "code": row["code"].strip()} for row in rows]
    if split != "all":
        rows = [row for row in rows if split_of(row["product_name"]) == split]
    return rows


def _history_items(rows: list[dict]):
    from invoicing.taxcodes.history import HistoryItem
    from invoicing.taxcodes.normalize import normalize_name

    return [HistoryItem(name=r["product_name"], key=normalize_name(r["product_name"]), code=r["code"]) for r in rows]


def evaluate(
    rows: list[dict], *, k: int = 3, history_rows: list[dict] | None = None, leave_one_out: bool = False
) -> dict:
    """Accuracy of ``suggest`` on ``rows``.

    ``history_rows``: the company's coded products (None: table only). ``leave_one_out``: the
    history is ``rows`` itself minus the row being evaluated (for tuning on the dev half).
    """
    from invoicing.taxcodes import table
    from invoicing.taxcodes.history import HistoryIndex
    from invoicing.taxcodes.matcher import suggest, warm_up

    started = time.perf_counter()
    warm_up()
    build_ms = (time.perf_counter() - started) * 1000
    evaluated = {row["product_name"] for row in rows}
    dropped = 0
    history = None
    items = []
    if leave_one_out:
        items = _history_items(rows)
        if history_rows is not None:  # other labelled rows too (never the evaluated one)
            base = _history_items([row for row in history_rows if row["product_name"] not in evaluated])
            items = base + items
    elif history_rows is not None:
        kept = [row for row in history_rows if row["product_name"] not in evaluated]
        dropped = len(history_rows) - len(kept)
        items = _history_items(kept)
        t0 = time.perf_counter()
        history = HistoryIndex(items)
        build_ms += (time.perf_counter() - t0) * 1000
    hits = {"top1": 0, "top3": 0, "top1_short": 0, "top3_short": 0}
    misses = []
    elapsed = 0.0
    for position, row in enumerate(rows):
        if leave_one_out:
            own = len(items) - len(rows) + position
            history = HistoryIndex(items[:own] + items[own + 1 :])
        t0 = time.perf_counter()
        suggestions = suggest(row["product_name"], k=k, history=history)
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
    result["history_n"] = len(items) - (1 if leave_one_out and items else 0)
    result["history_dropped"] = dropped
    return {"result": result, "misses": misses}


def _line(label: str, result: dict) -> str:
    return (
        f"{label}: n={result['n']} top1={result['top1']:.3f} top3={result['top3']:.3f} "
        f"top1_short={result['top1_short']:.3f} top3_short={result['top3_short']:.3f} "
        f"{result['ms_per_lookup']:.2f} ms/lookup, history_n={result['history_n']}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog=(
            "Default set, --split test: history = dev half, evaluated = test half (never tuned on). "
            "--split dev: leave-one-out history within the dev half (for tuning). "
            "--split all: table only. The table-only figures on the same rows are printed too."
        ),
    )
    parser.add_argument("path", nargs="?", default=str(DEFAULT_SET), help="labelled CSV (product_name,code)")
    parser.add_argument(
        "--split",
        choices=["test", "dev", "all"],
        default=None,
        help="rows to evaluate (default: test for the default set, all otherwise)",
    )
    parser.add_argument("--history", metavar="PATH", help="labelled CSV used as the company's coded products")
    parser.add_argument("--no-history", action="store_true", help="evaluate the official table alone")
    parser.add_argument(
        "--all-others",
        action="store_true",
        help="history = every other labelled row (for --split test: the dev half and the rest of the test half, "
        "leave-one-out): a company that has already coded ~550 products",
    )
    parser.add_argument("-k", type=int, default=3)
    parser.add_argument("--misses", action="store_true", help="list the names missed at top-3")
    args = parser.parse_args(argv)
    path = Path(args.path)
    is_default = path.resolve() == DEFAULT_SET
    split = args.split or ("test" if is_default else "all")
    rows = load_rows(path, split)

    history_rows, leave_one_out, history_label = None, False, "none"
    if args.history:
        history_rows, history_label = load_rows(Path(args.history), "all"), str(args.history)
    elif args.all_others and split == "test":
        history_rows, leave_one_out = load_rows(path, "dev"), True
        history_label = "dev half + the other test rows, leave-one-out"
    elif not args.no_history and split == "test":
        history_rows, history_label = load_rows(path, "dev"), "dev half"
    elif not args.no_history and split == "dev":
        leave_one_out, history_label = True, "dev half, leave-one-out"

    table_only = evaluate(rows, k=args.k)
    with_history = history_rows is not None or leave_one_out
    outcome = (
        evaluate(rows, k=args.k, history_rows=history_rows, leave_one_out=leave_one_out) if with_history else table_only
    )
    if args.misses:
        from invoicing.taxcodes import table

        for name, code, got in outcome["misses"]:
            info = table.get_code(code)
            got_names = [table.get_code(c).name for c in got]
            print(f"{name} | want {info.name}/{table.short_name_of(code)} | got {got_names}")
    print(_line(f"{split}, table only", table_only["result"]))
    if with_history:
        print(_line(f"{split}, table + history ({history_label})", outcome["result"]))
    result = {"split": split, "path": str(path), "history": history_label, **outcome["result"]}
    for key in ("top1", "top3", "top1_short", "top3_short", "ms_per_lookup"):
        result[f"table_only_{key}"] = table_only["result"][key]
    print(json.dumps(result, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
