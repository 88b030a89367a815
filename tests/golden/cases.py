"""The golden cases: each rule of RULES.md (and docs/tax-platform.md §6.3), accepted and refused.

Every case is an invoice in *our* words — the fields of ``Invoice`` and ``InvoiceLine`` — and
what both rule sets must say about it: ``ACCEPT``, or the fields (our names, as in
``invoicing.rules``' ``RuleError.field``) where the rule fires. ``test_golden.py`` turns each case
into the product's draft and the product's own 乐企 payload and runs both through the client's
``invoicing.rules`` and the platform's ``sandbox/rules.py``. No pinyin name appears here, so a
change of wire format changes the builders, not this table.

Figures are written as the clerk's form would compute them; a case states only what it breaks.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

ACCEPT: frozenset[str] = frozenset()

# Codes from invoicing/data (short name; allowed rates; preferential flags).
CHEESE = "1030204020000000000"  # 乳制品; 13 3 1 0
SOFTWARE = "1060301010100000000"  # 软件; 13 3 1 0
DRIED_FRUIT = "1010115020000000000"  # 干制水果 (agricultural); 9 3 1 0; 03
VEGETABLES = "1010112010000000000"  # 蔬菜 (agricultural); 9 3 1 0; 03
PREPAID_CARD = "6010000000000000000"  # 预付卡销售 (不征税); 0; 04
SOFTWARE_SERVICE = "3040201010000000000"  # 信息技术服务; 6 3 1 0
TECH_CONSULTING = "3040102000000000000"  # no short name of its own: 研发和技术服务 (its parent's)
HOUSING_RENTAL = "3040502020102000000"  # 经营租赁 (个人出租住房); 9 5 1.5
HOUSING_SALE = "5010101000000000000"  # 不动产; 9 5
DAIRY_SUMMARY = "1030204000000000000"  # 乳制品: a summary code (has children)
UNKNOWN_CODE = "1234567890123456789"

CLEAN_USCC = "91310000MA1FL0007C"  # check character and organisation-code check both right
ORG_MISMATCH_USCC = "91310000MA1FL0001R"  # right check character, organisation-code check wrong
BAD_CHECK_USCC = "91310000MA1FL0007D"
SELLER_TAX_ID = "91310000MA1FL0007C"

CENT = Decimal("0.01")


def _money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def line(
    amount=None, *, quantity=None, price=None, rate="0.13", code=CHEESE, name="奶酪", tax=None, kind="00",
    preferential="", spec="", unit="",
) -> dict:
    """One line; amount = quantity × price and tax = amount × rate unless the case says otherwise."""
    rate = Decimal(rate)
    quantity = Decimal(quantity) if quantity is not None else None
    price = Decimal(price) if price is not None else None
    if amount is None:
        amount = _money(quantity * price)
    amount = Decimal(amount)
    tax = _money(amount * rate) if tax is None else Decimal(tax)
    return {
        "name": name, "tax_code": code, "spec": spec, "unit": unit, "quantity": quantity, "unit_price": price,
        "amount": amount, "rate": rate, "tax": tax, "line_kind": kind, "preferential": preferential,
    }


def invoice(*lines: dict, red=False, type="02", buyer_name="上海某某餐饮有限公司", buyer_tax_id=CLEAN_USCC,
            buyer_is_person=False, remark="", number=None, total_amount=None, total_tax=None,
            total_with_tax=None) -> dict:
    """An invoice; totals are the sums of the lines unless the case says otherwise."""
    amount = sum((item["amount"] for item in lines), Decimal("0.00")) if total_amount is None else Decimal(total_amount)
    tax = sum((item["tax"] for item in lines), Decimal("0.00")) if total_tax is None else Decimal(total_tax)
    return {
        "kind": "red" if red else "blue", "type": type, "buyer_name": buyer_name, "buyer_tax_id": buyer_tax_id,
        "buyer_is_person": buyer_is_person, "remark": remark, "number": number,
        "total_amount": amount, "total_tax": tax,
        "total_with_tax": amount + tax if total_with_tax is None else Decimal(total_with_tax),
        "lines": list(lines),
    }


def refuse(*fields: str) -> frozenset[str]:
    return frozenset(fields)


@dataclass(frozen=True)
class Case:
    id: str
    rule: str  # where the rule is written
    invoice: dict
    expect: frozenset[str]  # ACCEPT, or the fields (our names) both rule sets must flag
    # Where the two sides name the same refusal at different fields (message granularity, not
    # a different rule), the sandbox's fields and the reason.
    sandbox_fields: frozenset[str] | None = None
    why_fields_differ: str = ""


BLUE = "RULES.md Amounts: sign"
CODES = "RULES.md Tax rates and codes"
IDS = "RULES.md Taxpayer ids"

CASES: list[Case] = [
    # --- Amounts ---------------------------------------------------------------------------
    Case("plain-goods-line", "RULES.md Amounts", invoice(line(quantity="2", price="10")), ACCEPT),
    Case("line-amount-off-by-0.01", "RULES.md Amounts: line amount ±0.01",
         invoice(line("10.01", quantity="1", price="10")), ACCEPT),
    Case("line-amount-off-by-0.02", "RULES.md Amounts: line amount ±0.01",
         invoice(line("10.02", quantity="1", price="10")), refuse("lines[0].amount")),
    Case("line-tax-off-by-0.06", "RULES.md Amounts: line tax ±0.06", invoice(line("100.00", tax="13.06")), ACCEPT),
    Case("line-tax-off-by-0.07", "RULES.md Amounts: line tax ±0.06",
         invoice(line("100.00", tax="13.07")), refuse("lines[0].tax")),
    Case("total-amount-off-by-0.01", "RULES.md Amounts: sum of amounts ±0.01",
         invoice(line("100.00"), total_amount="100.01"), ACCEPT),
    Case("total-amount-off-by-0.02", "RULES.md Amounts: sum of amounts ±0.01",
         invoice(line("100.00"), total_amount="100.02"), refuse("total_amount")),
    Case("total-tax-off-by-1.27", "RULES.md Amounts: total tax ±1.27",
         invoice(line("100.00"), total_tax="14.27"), ACCEPT),
    Case("total-tax-off-by-1.28", "RULES.md Amounts: total tax ±1.27",
         invoice(line("100.00"), total_tax="14.28"), refuse("total_tax")),
    Case("identity-off-by-a-cent", "RULES.md Amounts: identity, exactly",
         invoice(line("100.00"), total_with_tax="113.01"), refuse("total_with_tax")),
    Case("price-including-tax-split", "RULES.md Amounts: 含税 conversion",
         # 3 × 9.99 with tax = 29.97 → amount round(29.97 / 1.13, 2) = 26.52, tax 3.45, price 8.84
         invoice(line("26.52", quantity="3", price="8.84", tax="3.45")), ACCEPT),
    Case("price-including-tax-long-price", "RULES.md Amounts: 含税 conversion",
         # 7 × 1.00 with tax → 6.19 + 0.81; the price 6.19 / 7 has 13 decimals
         invoice(line("6.19", quantity="7", price="0.8842857142857", tax="0.81")), ACCEPT),
    Case("blue-negative-amount", BLUE,
         invoice(line("100.00"), line("-10.00", name="退款")), refuse("lines[1].amount", "lines[1].tax")),
    Case("blue-negative-quantity", BLUE,
         invoice(line("100.00"), line(quantity="-1", price="10", name="退货")),
         refuse("lines[1].amount", "lines[1].quantity", "lines[1].tax")),
    Case("blue-negative-price", BLUE, invoice(line(quantity="-1", price="-10")),
         refuse("lines[0].unit_price", "lines[0].quantity")),
    Case("red-invoice", BLUE, invoice(line(quantity="-2", price="10"), red=True), ACCEPT),
    Case("red-positive-amount", BLUE, invoice(line("20.00"), red=True),
         refuse("lines[0].amount", "lines[0].tax", "total_with_tax")),
    Case("red-positive-quantity", BLUE, invoice(line("-20.00", quantity="2", price="10"), red=True),
         refuse("lines[0].quantity", "lines[0].amount")),
    Case("red-negative-price", BLUE, invoice(line("-20.00", quantity="-2", price="-10"), red=True),
         refuse("lines[0].unit_price", "lines[0].amount")),
    # --- Discount lines ----------------------------------------------------------------------
    Case("discount-pair", "RULES.md Amounts: discount lines",
         invoice(line("100.00", kind="02"), line("-10.00", kind="01")), ACCEPT),
    Case("discount-without-discounted-line", "RULES.md Amounts: discount lines",
         invoice(line("100.00"), line("-10.00", kind="01")), refuse("lines[1].kind")),
    Case("discounted-line-without-discount", "RULES.md Amounts: discount lines",
         invoice(line("100.00", kind="02"), line("50.00")), refuse("lines[0].kind")),
    Case("discount-other-code", "RULES.md Amounts: discount lines copy the code",
         invoice(line("100.00", kind="02"), line("-10.00", kind="01", code=SOFTWARE)), refuse("lines[1].tax_code")),
    Case("discount-other-rate", "RULES.md Amounts: discount lines copy the rate",
         invoice(line("100.00", kind="02"), line("-10.00", kind="01", rate="0.03")), refuse("lines[1].rate")),
    Case("discount-other-name", "RULES.md Amounts: discount lines copy the name",
         invoice(line("100.00", kind="02"), line("-10.00", kind="01", name="折扣")), refuse("lines[1].name")),
    Case("discount-with-unit", "RULES.md Amounts: discount lines leave spec/unit empty",
         invoice(line("100.00", kind="02", unit="千克"), line("-10.00", kind="01", unit="千克")),
         refuse("lines[1].unit")),
    Case("discount-with-spec", "RULES.md Amounts: discount lines leave spec/unit empty",
         invoice(line("100.00", kind="02", spec="500克"), line("-10.00", kind="01", spec="500克")),
         refuse("lines[1].spec")),
    Case("discount-with-quantity", "RULES.md Amounts: discount lines leave quantity/price empty",
         invoice(line(quantity="10", price="10", kind="02"), line(quantity="-1", price="10", kind="01")),
         refuse("lines[1].quantity", "lines[1].unit_price"),
         sandbox_fields=refuse("lines[1].quantity"),
         why_fields_differ="the platform names the pair once, at the quantity (折扣行不得填写数量和单价)"),
    Case("discount-beyond-the-line", "RULES.md Amounts: discount lines",
         invoice(line("200.00"), line("100.00", kind="02"), line("-120.00", kind="01")), refuse("lines[2].amount")),
    # --- Tax rates and codes -----------------------------------------------------------------
    Case("code-not-19-digits", CODES, invoice(line("100.00", code="103020402")), refuse("lines[0].tax_code")),
    Case("code-not-in-table", CODES, invoice(line("100.00", code=UNKNOWN_CODE)), refuse("lines[0].tax_code")),
    Case("summary-code", CODES, invoice(line("100.00", code=DAIRY_SUMMARY)), refuse("lines[0].tax_code")),
    Case("agricultural-9", CODES, invoice(line("100.00", code=DRIED_FRUIT, rate="0.09", name="葡萄干")), ACCEPT),
    Case("agricultural-at-13", CODES, invoice(line("100.00", code=DRIED_FRUIT, rate="0.13", name="葡萄干")),
         refuse("lines[0].rate")),
    Case("rate-the-platform-does-not-know", CODES, invoice(line("100.00", rate="0.07")), refuse("lines[0].rate")),
    Case("software-service-6", CODES, invoice(line("1000.00", code=SOFTWARE_SERVICE, rate="0.06", name="系统开发")),
         ACCEPT),
    Case("software-service-at-13", CODES,
         invoice(line("1000.00", code=SOFTWARE_SERVICE, rate="0.13", name="系统开发")), refuse("lines[0].rate")),
    Case("housing-rental-1.5", CODES,
         invoice(line("3000.00", code=HOUSING_RENTAL, rate="0.015", name="住房租金"), buyer_tax_id="",
                 buyer_is_person=True, buyer_name="张三"), ACCEPT),
    Case("housing-sale-5", CODES, invoice(line("1000000.00", code=HOUSING_SALE, rate="0.05", name="住宅")), ACCEPT),
    Case("zero-rated-export", CODES, invoice(line("100.00", rate="0")), ACCEPT),
    Case("tax-free-vegetables", CODES,
         invoice(line("9.00", code=VEGETABLES, rate="0", preferential="03", name="白萝卜")), ACCEPT),
    Case("tax-free-on-a-code-without-it", CODES, invoice(line("100.00", rate="0", preferential="03")),
         refuse("lines[0].preferential")),
    Case("tax-free-with-a-rate", CODES,
         invoice(line("9.00", code=VEGETABLES, rate="0.09", tax="0", preferential="03", name="白萝卜")),
         refuse("lines[0].rate", "lines[0].tax")),
    Case("not-taxable-prepaid-card", CODES,
         invoice(line("500.00", code=PREPAID_CARD, rate="0", preferential="04", name="储值卡充值")), ACCEPT),
    Case("not-taxable-on-vegetables", CODES,
         invoice(line("9.00", code=VEGETABLES, rate="0", preferential="04", name="白萝卜")),
         refuse("lines[0].preferential")),
    Case("unknown-preferential-flag", CODES, invoice(line("100.00", rate="0", preferential="05")),
         refuse("lines[0].preferential")),
    Case("code-whose-short-name-is-its-parents", "RULES.md Tax rates and codes: *short name*item name",
         invoice(line("1000.00", code=TECH_CONSULTING, rate="0.06", name="技术咨询")), ACCEPT),
    Case("line-without-a-name", "RULES.md Tax rates and codes: *short name*item name",
         invoice(line("100.00", name="")), refuse("lines[0].name")),
    # --- Taxpayer ids ------------------------------------------------------------------------
    Case("ordinary-to-a-person", IDS, invoice(line("100.00"), buyer_tax_id="", buyer_is_person=True,
                                              buyer_name="李四"), ACCEPT),
    Case("special-without-buyer-id", IDS, invoice(line("100.00"), type="01", buyer_tax_id=""),
         refuse("buyer_tax_id")),
    Case("special-with-uscc", IDS, invoice(line("100.00"), type="01"), ACCEPT),
    Case("special-to-a-person", IDS,
         invoice(line("100.00"), type="01", buyer_is_person=True, buyer_name="王五"), refuse("buyer_is_person")),
    Case("uscc-wrong-check-character", IDS, invoice(line("100.00"), buyer_tax_id=BAD_CHECK_USCC),
         refuse("buyer_tax_id")),
    Case("uscc-with-letter-I", IDS, invoice(line("100.00"), buyer_tax_id="91310000MA1FLI007C"),
         refuse("buyer_tax_id")),
    Case("uscc-organisation-check-only-warns", IDS, invoice(line("100.00"), buyer_tax_id=ORG_MISMATCH_USCC),
         ACCEPT),
    Case("id-of-15", IDS, invoice(line("100.00"), buyer_tax_id="310101123456789"), ACCEPT),
    Case("id-of-17", IDS, invoice(line("100.00"), buyer_tax_id="31010119800101123"), ACCEPT),
    Case("id-of-20", IDS, invoice(line("100.00"), buyer_tax_id="310101198001011234AB"), ACCEPT),
    Case("id-of-14", IDS, invoice(line("100.00"), buyer_tax_id="31010112345678"), refuse("buyer_tax_id")),
    Case("id-in-lower-case", IDS, invoice(line("100.00"), buyer_tax_id="91310000ma1fl0007c"),
         refuse("buyer_tax_id")),
    Case("buyer-without-a-name", "docs/tax-platform.md §6.3: buyer name present",
         invoice(line("100.00"), buyer_name=""), refuse("buyer_name")),
    # --- The invoice as a whole --------------------------------------------------------------
    Case("remark-of-450-on-blue", "docs/tax-platform.md §3: bz ≤ 450 blue", invoice(line("100.00"), remark="备" * 450),
         ACCEPT),
    Case("remark-of-451-on-blue", "docs/tax-platform.md §3: bz ≤ 450 blue", invoice(line("100.00"), remark="备" * 451),
         refuse("remark")),
    Case("remark-of-382-on-red", "docs/tax-platform.md §3: bz ≤ 382 red",
         invoice(line("-100.00"), red=True, remark="备" * 382), ACCEPT),
    Case("remark-of-383-on-red", "docs/tax-platform.md §3: bz ≤ 382 red",
         invoice(line("-100.00"), red=True, remark="备" * 383), refuse("remark")),
    Case("unknown-invoice-kind", "docs/tax-platform.md §3: fppz 01 or 02", invoice(line("100.00"), type="03"),
         refuse("kind")),
    Case("no-lines", "docs/tax-platform.md §3: 1–5000 lines", invoice(), refuse("lines")),
    # --- Invoice numbers ---------------------------------------------------------------------
    Case("number-of-another-channel", "RULES.md Invoice numbers: channel 7 for 乐企",
         invoice(line("100.00"), number="{yy}318000000000000001"), refuse("number")),
    Case("number-of-another-access-mode", "RULES.md Invoice numbers: access mode 0/1/2",
         invoice(line("100.00"), number="{yy}317300000000000001"), refuse("number")),
    Case("number-of-last-year", "RULES.md Invoice numbers: never across a year",
         invoice(line("100.00"), number="{last_yy}317000000000000001"), refuse("number")),
    Case("number-of-access-mode-2", "RULES.md Invoice numbers: access mode 0/1/2",
         invoice(line("100.00"), number="{yy}317200000000000001"), ACCEPT),
]
