"""Fit the matcher's confidence (P(candidate is the right code)) on the dev half, and check it.

    python -m bench.calibrate [--split dev|test] [--fit]
    python -m bench.calibrate --labels FILE

``--labels FILE`` evaluates any labelled CSV (``product_name,code``; other columns ignored) the
way a new customer meets the matcher: no history, the official table alone, the company's
default threshold (``Company.auto_code_threshold``'s default). Its last line is one JSON object:
``n``, ``threshold``, ``coverage`` (share of names whose first suggestion reaches the threshold,
i.e. would be coded without a person), ``precision`` (share of those that are right), ``top1``,
``top3``, ``abstained`` (names whose first suggestion was held back as ambiguous).

The confidence decides whether the integration API codes an order line by itself (issue 8:
only above the company's threshold), so it has to mean what it says: of the suggestions shown
with 0.8, about 8 in 10 should be right. This script collects every top-3 candidate of every
dev row (leave-one-out history, as bench.match --split dev), with the evidence the matcher
kept for it (matcher._Evidence), and

* ``--fit``: fits a logistic regression (plain gradient descent, L2) and prints the weights to
  paste into ``matcher.CALIBRATION``;
* always: prints a reliability table of the *current* ``CALIBRATION`` (mean confidence vs
  share right, per band) and, per threshold, how many first suggestions would be auto-coded
  and how many of those are right. ``--split test`` prints the same for the test half with
  the dev half as history — never fitted on.

Last line: one JSON object with the auto-coding precision and coverage per threshold.
"""

from __future__ import annotations

import argparse
import json
import math
import sys

from bench.match import DEFAULT_SET, _history_items, load_rows

THRESHOLDS = (0.5, 0.6, 0.7, 0.8, 0.9)


def collect(split: str) -> list[tuple[tuple[float, ...], bool, bool]]:
    """(features, is right, is the first suggestion) for every top-3 candidate."""
    from invoicing.taxcodes.history import HistoryIndex
    from invoicing.taxcodes.matcher import candidates

    rows = load_rows(DEFAULT_SET, split)
    if split == "dev":
        items = _history_items(rows)
        histories = (HistoryIndex(items[:i] + items[i + 1 :]) for i in range(len(rows)))
    else:
        dev = HistoryIndex(_history_items(load_rows(DEFAULT_SET, "dev")))
        histories = (dev for _ in rows)
    samples = []
    for row, history in zip(rows, histories, strict=False):
        exact = history.exact(row["product_name"])
        ranked = candidates(row["product_name"], history)[:3]
        for position, (code, _value, evidence) in enumerate(ranked):
            first = position == 0 and exact is None
            samples.append((evidence.features(), code == row["code"], first))
    return samples


def fit(samples, *, rounds: int = 4000, rate: float = 0.1, l2: float = 0.01) -> list[float]:
    width = len(samples[0][0])
    weights = [0.0] * (width + 1)
    for _ in range(rounds):
        gradient = [0.0] * (width + 1)
        for features, right, _first in samples:
            z = weights[0] + sum(w * x for w, x in zip(weights[1:], features, strict=True))
            error = 1 / (1 + math.exp(-max(-30.0, min(30.0, z)))) - (1.0 if right else 0.0)
            gradient[0] += error
            for i, x in enumerate(features, start=1):
                gradient[i] += error * x
        n = len(samples)
        weights = [w - rate * (g / n + (l2 * w if i else 0.0)) for i, (w, g) in enumerate(zip(weights, gradient, strict=True))]
    return [round(w, 3) for w in weights]


def report(samples, weights) -> dict:
    from invoicing.taxcodes.matcher import _sigmoid

    def confidence(features):
        return _sigmoid(weights[0] + sum(w * x for w, x in zip(weights[1:], features, strict=True)))

    scored = [(confidence(f), right, first) for f, right, first in samples]
    print("band        n  mean conf  share right")
    for low, high in ((0, 0.2), (0.2, 0.4), (0.4, 0.6), (0.6, 0.8), (0.8, 1.01)):
        band = [(c, r) for c, r, _ in scored if low <= c < high]
        if band:
            mean = sum(c for c, _ in band) / len(band)
            right = sum(r for _, r in band) / len(band)
            print(f"{low:.1f}–{min(high, 1):.1f} {len(band):6d}  {mean:9.2f}  {right:11.2f}")
    firsts = [(c, r) for c, r, first in scored if first]
    result = {"first_suggestions": len(firsts)}
    for threshold in THRESHOLDS:
        auto = [r for c, r in firsts if c >= threshold]
        precision = sum(auto) / len(auto) if auto else 0.0
        coverage = len(auto) / len(firsts) if firsts else 0.0
        print(f"threshold {threshold:.1f}: auto-coded {coverage:.0%} of names, {precision:.0%} of them right")
        result[f"auto_{threshold}"] = {"coverage": round(coverage, 3), "precision": round(precision, 3)}
    return result


def default_threshold() -> float:
    """The threshold a new company starts with (the default of Company.auto_code_threshold)."""
    from invoicing.taxcodes.policy import DEFAULT_AUTO_CODE_THRESHOLD

    return float(DEFAULT_AUTO_CODE_THRESHOLD)


def evaluate_labels(path, threshold: float, *, split: str = "all", misses: bool = False) -> dict:
    """Coverage and precision at ``threshold``, top-1 and top-3, table alone (no history)."""
    from invoicing.taxcodes.matcher import suggest_from_table

    rows = load_rows(path, split)
    auto = right_auto = top1 = top3 = abstained = 0
    for row in rows:
        suggestions = suggest_from_table(row["product_name"], k=3)
        codes = [s.code for s in suggestions]
        top1 += codes[:1] == [row["code"]]
        top3 += row["code"] in codes
        if suggestions and suggestions[0].abstain:
            abstained += 1
        if suggestions and suggestions[0].confidence >= threshold:
            auto += 1
            right_auto += codes[0] == row["code"]
            if misses and codes[0] != row["code"]:
                print(f"wrong auto-code: {row['product_name']} → {suggestions[0].name} (want {row['code']})")
    n = len(rows)
    return {
        "n": n,
        "threshold": threshold,
        "coverage": round(auto / n, 4) if n else 0.0,
        "precision": round(right_auto / auto, 4) if auto else 0.0,
        "top1": round(top1 / n, 4) if n else 0.0,
        "top3": round(top3 / n, 4) if n else 0.0,
        "abstained": abstained,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--split", choices=["dev", "test", "all"], default=None, help="default: dev; with --labels: all rows"
    )
    parser.add_argument("--fit", action="store_true", help="fit new weights (dev half only)")
    parser.add_argument("--labels", metavar="FILE", help="evaluate a labelled CSV (product_name,code), no history")
    parser.add_argument("--misses", action="store_true", help="with --labels: list wrong auto-codes")
    args = parser.parse_args(argv)
    if args.labels:
        result = evaluate_labels(args.labels, default_threshold(), split=args.split or "all", misses=args.misses)
        print(json.dumps(result, ensure_ascii=False))
        return 0
    from invoicing.taxcodes.matcher import CALIBRATION

    args.split = args.split or "dev"
    if args.split == "all":
        parser.error("--split all goes with --labels")
    samples = collect(args.split)
    weights = list(CALIBRATION)
    if args.fit:
        if args.split != "dev":
            parser.error("fit on the dev half only")
        weights = fit(samples)
        print("CALIBRATION =", tuple(weights))
    result = {"split": args.split, "samples": len(samples), **report(samples, weights)}
    print(json.dumps(result, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
