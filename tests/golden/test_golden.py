"""The golden cases through both rule sets: the client's ``invoicing.rules`` and the platform's
``sandbox/rules.py`` must agree on every case, accept or refuse, and on the fields refused.

Each case becomes unsaved ``Invoice``/``InvoiceLine`` rows; the client's side is what the
pipeline checks (``validate_invoice(invoice_draft(...))``, with the official table as lookup), the
platform's side is what the pipeline uploads (``invoice_payload(...)``) as the sandbox checks it on
arrival. Pure functions only: no database, no network, well under a second for the table.
"""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from invoicing.issuing.drafts import draft_from_invoice as invoice_draft
from invoicing.models import Invoice, InvoiceLine
from invoicing.platform_mapping import invoice_payload, line_payload
from invoicing.rules.invoice import INVOICE_FIELDS, LINE_FIELDS, validate_invoice
from invoicing.rules.taxid import region_code
from invoicing.taxcodes.table import display_name
from sandbox import rules as platform_rules
from tests.golden.cases import CASES, CHEESE, SELLER_TAX_ID, Case

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 3, 2, 10, 0, tzinfo=SHANGHAI)
YY, LAST_YY = f"{NOW.year % 100:02d}", f"{(NOW.year - 1) % 100:02d}"
NUMBER = f"{YY}3170{1:014d}"
BLUE_NUMBER = f"{YY}3170{2:014d}"
RED_FORM_NUMBER = "31010020260302000001"
SELLER = {"tax_id": SELLER_TAX_ID, "name": "上海开票示范有限公司", "address": "上海市黄浦区中山东一路1号",
          "phone": "021-12345678", "bank_name": "中国银行上海分行", "bank_account": "1234567890"}
MESSAGE_FIELD = re.compile(r"（([^（）]+)）$")
LINE_PATH = re.compile(r"^(\w+)\[(\d+)\]\.(\w+)$")


def build(spec: dict) -> tuple[Invoice, list[InvoiceLine]]:
    """The case as the rows the pipeline reads (never saved)."""
    values = {key: value for key, value in spec.items() if key != "lines"}
    values["number"] = (values["number"] or NUMBER).format(yy=YY, last_yy=LAST_YY)
    invoice = Invoice(seller=SELLER, issued_at=NOW, drawer="张三", **values)
    if invoice.kind == Invoice.Kind.RED:
        invoice.blue_invoice = Invoice(number=BLUE_NUMBER, type=invoice.type, seller=SELLER)
        invoice.red_form_number = RED_FORM_NUMBER
    lines = [InvoiceLine(line_no=index + 1, **line) for index, line in enumerate(spec["lines"])]
    return invoice, lines


def _our_name_of_the_display_name() -> str:
    """Which payload key carries ``*short name*item name``, found from the builder itself."""
    probe = InvoiceLine(line_no=1, name="探针", tax_code=CHEESE, amount=Decimal("1.00"), rate=Decimal("0.13"),
                        tax=Decimal("0.13"))
    wanted = display_name(CHEESE, "探针")
    return next(key for key, value in line_payload(probe).items() if value == wanted)


def platform_to_ours(path: str) -> str:
    """``fpmxList[1].je`` → ``lines[1].amount``: the client's own map of platform names, reversed."""
    line_names = {platform: ours for ours, platform in LINE_FIELDS.items()}
    line_names[_our_name_of_the_display_name()] = "name"
    invoice_names = {platform: ours for ours, platform in INVOICE_FIELDS.items()}
    match = LINE_PATH.match(path)
    if match and match[1] == INVOICE_FIELDS["lines"]:
        return f"lines[{match[2]}].{line_names.get(match[3], match[3])}"
    return invoice_names.get(path, path)


def client_verdict(invoice, lines) -> tuple[frozenset[str], list[str]]:
    result = validate_invoice(invoice_draft(invoice, lines))
    return frozenset(error.field for error in result.errors), [f"{e.code}: {e.message}" for e in result.errors]


UNIT_ID = "U0000000000000000001"


def platform_verdict(invoice, lines) -> tuple[frozenset[str], list[str]]:
    # What the provider adds to each invoice for the connection (docs/tax-platform.md §3, QDFPSC).
    wire = {"ptbh": UNIT_ID, "qyDm": region_code(SELLER_TAX_ID), "ip": "10.0.0.8", "macdz": "52-54-00-12-34-56",
            **invoice_payload(invoice, lines)}
    if wire["lzfpbz"] == "1":
        # A case's red invoice has no form object: link it as its form would (uuid, blue line numbers).
        wire["hzqrduuid"] = wire.get("hzqrduuid") or "f" * 32
        for line in wire["fpmxList"]:
            line.setdefault("dylzfpmxxh", line["mxxh"])
    checked = platform_rules.check_invoice(wire, seller_nsrsbh=SELLER_TAX_ID, platform_id=UNIT_ID, now=NOW)
    fields = set()
    for message in checked.errors:
        match = MESSAGE_FIELD.search(message)
        assert match, f"平台的错误信息须以字段结尾：{message}"
        fields.add(platform_to_ours(match[1]))
    return frozenset(fields), checked.errors


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_both_rule_sets_agree(case: Case):
    invoice, lines = build(case.invoice)
    client_fields, client_messages = client_verdict(invoice, lines)
    platform_fields, platform_messages = platform_verdict(invoice, lines)
    detail = f"\n客户端：{client_messages}\n平台：{platform_messages}"
    assert client_fields == case.expect, f"client on {case.id} ({case.rule}){detail}"
    assert platform_fields == (case.sandbox_fields if case.sandbox_fields is not None else case.expect), (
        f"sandbox on {case.id} ({case.rule}){detail}"
    )
