from decimal import Decimal

import pytest

from invoicing.templatetags.numbers import money, plain_number, rate


@pytest.mark.parametrize(("value", "shown"), [
    (Decimal("9174311925.69"), "9,174,311,925.69"), (Decimal("-10.27"), "-10.27"), (Decimal("1234"), "1,234.00"),
    (Decimal("0.005"), "0.01"), (Decimal("-1234567.5"), "-1,234,567.50"), (None, ""), ("113.00", "113.00"),
])
def test_money_has_two_decimals_and_thousands_separators(value, shown):
    assert money(value) == shown


@pytest.mark.parametrize(("value", "preferential", "shown"), [
    (Decimal("0.090"), "", "9%"), (Decimal("0.130"), "", "13%"), (Decimal("0.015"), "", "1.5%"),
    (Decimal("0.000"), "", "0%"), (Decimal("0.000"), "03", "免税"), (Decimal("0.000"), "04", "不征税"), (None, "", "—"),
])
def test_rate_is_a_percentage_or_the_preferential_word(value, preferential, shown):
    assert rate(value, preferential) == shown


def test_a_unit_price_stays_exact_without_trailing_zeros():
    assert plain_number(Decimal("5.1333333333333")) == "5.1333333333333"
    assert plain_number(Decimal("5.1300000000000")) == "5.13"
