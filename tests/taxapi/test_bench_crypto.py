"""Keeps bench/crypto.py runnable: its core on a tiny upload, both paths agreeing."""

from __future__ import annotations

import json
from decimal import Decimal

from bench import crypto as bench_crypto


def test_it_measures_a_tiny_upload():
    result = bench_crypto.run(invoices=2, lines=2, repeat=1, gmssl_repeat=1)
    assert result["invoices"] == 2
    assert result["speedup_vs_gmssl"] > 1
    assert result["per_invoice_us"] > 0


def test_it_prints_json_as_the_last_line(capsys):
    assert bench_crypto.main(["--invoices", "1", "--lines", "1", "--repeat", "1", "--gmssl-repeat", "1"]) == 0
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert {"speedup_vs_gmssl", "per_invoice_us"} <= json.loads(last).keys()


def test_its_invoices_are_exact_decimal_strings():
    [invoice] = bench_crypto.build_invoices(count=1, lines=3)
    assert len(invoice["fphm"]) == 20
    lines_total = sum(Decimal(line["je"]) + Decimal(line["se"]) for line in invoice["fpmxList"])
    assert Decimal(invoice["jshj"]) == lines_total
