from decimal import Decimal

import pytest

from invoicing.rules.amounts import (
    compute_line,
    compute_totals,
    fmt_rate,
    identity_ok,
    line_amount_ok,
    line_tax_ok,
    money,
    split_with_tax,
    tax_for,
    total_amount_ok,
    total_tax_ok,
)
from tests.invoicing.factories import D


def test_it_rounds_half_up_both_signs():
    assert money(D("0.005")) == D("0.01")
    assert money(D("-0.005")) == D("-0.01")
    assert money(D("2.675")) == D("2.68")  # a float would give 2.67


def test_it_refuses_floats():
    with pytest.raises(TypeError):
        money(0.1)


def test_it_splits_price_with_tax():
    assert split_with_tax(D("113.00"), D("0.13")) == (D("100.00"), D("13.00"))
    assert split_with_tax(D("10.00"), D("0.13")) == (D("8.85"), D("1.15"))
    assert split_with_tax(D("-10.00"), D("0.13")) == (D("-8.85"), D("-1.15"))


def test_it_computes_a_line_from_price_with_tax():
    line = compute_line(rate=D("0.13"), quantity=D(3), price=D("9.99"), price_includes_tax=True)
    assert (line.amount, line.tax, line.with_tax) == (D("26.52"), D("3.45"), D("29.97"))
    assert line_amount_ok(quantity=line.quantity, price=line.unit_price, amount=line.amount)
    assert line_tax_ok(amount=line.amount, rate=D("0.13"), tax=line.tax)


def test_it_computes_a_line_from_price_without_tax():
    line = compute_line(rate=D("0.09"), quantity=D("1.5"), price=D("7.77"))
    assert (line.amount, line.tax) == (D("11.66"), D("1.05"))
    assert line.unit_price == D("7.77")


def test_it_computes_a_line_from_amount_alone():
    line = compute_line(rate=D("0.06"), amount=D("106.00"), price_includes_tax=True)
    assert (line.quantity, line.unit_price, line.amount, line.tax) == (None, None, D("100.00"), D("6.00"))


def test_it_refuses_quantity_without_price():
    with pytest.raises(ValueError, match="数量和单价"):
        compute_line(rate=D("0.13"), quantity=D(1))


def test_it_keeps_line_checks_for_many_tax_inclusive_prices():
    for cents in range(1, 3000, 7):
        for rate in (D("0.13"), D("0.09"), D("0.06"), D("0.03"), D("0.01")):
            for quantity in (D(1), D(3), D("0.5"), D(12)):
                line = compute_line(rate=rate, quantity=quantity, price=Decimal(cents) / 100, price_includes_tax=True)
                assert line_amount_ok(quantity=line.quantity, price=line.unit_price, amount=line.amount)
                assert line_tax_ok(amount=line.amount, rate=rate, tax=line.tax)


def test_it_totals_so_the_identity_holds():
    totals = compute_totals([(D("8.85"), D("1.15")), (D("100.00"), D("13.00"))])
    assert (totals.amount, totals.tax, totals.with_tax) == (D("108.85"), D("14.15"), D("123.00"))
    assert identity_ok(total_amount=totals.amount, total_tax=totals.tax, total_with_tax=totals.with_tax)


def test_it_applies_the_tolerances():
    assert line_amount_ok(quantity=D(3), price=D("3.333"), amount=D("10.00"))
    assert not line_amount_ok(quantity=D(3), price=D("3.33"), amount=D("10.01"))
    assert line_tax_ok(amount=D("100"), rate=D("0.13"), tax=D("13.06"))
    assert not line_tax_ok(amount=D("100"), rate=D("0.13"), tax=D("13.07"))
    assert total_amount_ok(line_amounts=[D("1.00"), D("2.00")], total=D("3.01"))
    assert not total_amount_ok(line_amounts=[D("1.00"), D("2.00")], total=D("3.02"))
    assert total_tax_ok(amounts_and_rates=[(D("100"), D("0.13"))], total_tax=D("14.27"))
    assert not total_tax_ok(amounts_and_rates=[(D("100"), D("0.13"))], total_tax=D("14.28"))
    assert not identity_ok(total_amount=D("1.00"), total_tax=D("0.13"), total_with_tax=D("1.14"))


def test_it_formats_rates():
    assert [fmt_rate(D(r)) for r in ("0.13", "0.015", "0", "0.00")] == ["13%", "1.5%", "0%", "0%"]
    assert tax_for(D("8.85"), D("0.13")) == D("1.15")
