"""The invoice PDF against the 数电票 layout, and never spilling (issue 14 items 13 and 6).

Names at the limits the form and the API enforce (invoicing.rules.limits) must wrap inside their
cells and keep a normal invoice on one page; read back with pypdf (pages) and pdftotext (boxes).
"""

import io
import re
import subprocess
from decimal import Decimal

import pytest
from pypdf import PdfReader

from invoicing.documents.pdf import invoice_pdf_bytes
from invoicing.rules import limits
from tests.delivery.conftest import make_invoice

pytestmark = pytest.mark.django_db

MILK = "1030204010000000000"  # 液体乳: 简称 乳制品


def _boxes(pdf: bytes, tmp_path) -> list[tuple[float, float, float, float, str]]:
    """Every word pdftotext finds, with its box (xMin, yMin, xMax, yMax) in points."""
    path = tmp_path / "x.pdf"
    path.write_bytes(pdf)
    html = subprocess.run(["pdftotext", "-bbox", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return [(float(a), float(b), float(c), float(d), word) for a, b, c, d, word in re.findall(
        r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>', html)]


def _text(pdf: bytes, tmp_path, mode: str = "-layout") -> str:
    """The text without whitespace; ``-raw`` keeps each cell's text together (the vertical labels)."""
    path = tmp_path / "t.pdf"
    path.write_bytes(pdf)
    return "".join(subprocess.run(["pdftotext", mode, str(path), "-"], capture_output=True, text=True,
                                  check=True).stdout.split())


def test_it_prints_the_item_name_with_the_short_name_prefix(tenants, tmp_path):
    """Regression: the PDF printed 纯牛奶 where a 数电 invoice prints *乳制品*纯牛奶."""
    invoice = make_invoice(tenants.a1, lines=[
        ("纯牛奶", MILK, Decimal("3"), Decimal("5.1333333333333"), Decimal("15.40"), Decimal("0.13"), Decimal("2.00"))])
    text = _text(invoice_pdf_bytes(invoice), tmp_path)
    assert "*乳制品*纯牛奶" in text
    assert "5.1333333333333" in text and "13%" in text


def test_it_follows_the_digital_invoice_layout(tenants, tmp_path):
    invoice = make_invoice(tenants.a1, lines=[
        ("纯牛奶", MILK, Decimal("2"), Decimal("50"), Decimal("100.00"), Decimal("0.13"), Decimal("13.00"))],
        remark="门店小票 A1-0001")
    text = _text(invoice_pdf_bytes(invoice), tmp_path, "-raw")
    expected = ["电子发票（普通发票）", "发票号码：", "开票日期：", "购买方信息", "销售方信息", "项目名称", "规格型号", "单位",
                "数量", "单价", "金额", "税率/征收率", "税额", "合计", "价税合计（大写）", "（小写）", "备注", "开票人："]
    positions = [text.find(word) for word in expected]
    assert -1 not in positions, [w for w, p in zip(expected, positions, strict=True) if p == -1]
    assert "门店小票A1-0001" in text and "开票人：张三" in text


@pytest.mark.parametrize(("kind", "line_count", "remark_length"), [
    ("chinese", 3, 100), ("chinese", 1, limits.REMARK_MAX), ("latin", 3, limits.REMARK_MAX),
])
def test_names_at_the_limits_wrap_inside_their_cells_on_one_page(tenants, tmp_path, kind, line_count, remark_length):
    """Regression: a long buyer and item name spilled the PDF onto two pages and out of the cells."""
    if kind == "chinese":
        item = ("超高温灭菌全脂纯牛奶礼盒装" * 10)[:limits.ITEM_NAME_MAX]
        buyer = ("福州市鼓楼区示例连锁商贸发展有限责任公司" * 6)[:limits.BUYER_NAME_MAX]
        remark = ("订单备注内容" * 80)[:remark_length]
        spec, unit = "规" * limits.SPEC_MAX, "盒" * limits.UNIT_MAX
    else:  # no spaces to break at: the worst case for a table cell
        item = ("MILK1L" * 20)[:limits.ITEM_NAME_MAX]
        buyer = ("FUZHOUTRADINGCOLTD" * 6)[:limits.BUYER_NAME_MAX]
        remark = "R" * remark_length
        spec, unit = "S" * limits.SPEC_MAX, "U" * limits.UNIT_MAX
    lines = [(item, MILK, Decimal("1"), Decimal("1.00"), Decimal("1.00"), Decimal("0.13"), Decimal("0.13"))
             for _ in range(line_count)]
    invoice = make_invoice(tenants.a1, lines=lines, buyer_name=buyer, remark=remark)
    for line in invoice.lines.all():
        line.spec, line.unit = spec, unit
        line.save()
    pdf = invoice_pdf_bytes(invoice)
    assert len(PdfReader(io.BytesIO(pdf)).pages) == 1
    boxes = _boxes(pdf, tmp_path)
    page_width = float(PdfReader(io.BytesIO(pdf)).pages[0].mediabox.width)
    assert all(x_max <= page_width for _x, _y, x_max, _y2, _w in boxes), "text runs off the page"
    spec_left = min(x0 for x0, _y, _x1, _y2, word in boxes if word and set(word) <= set(spec))
    # Every piece of the item name stays left of the 规格型号 column.
    pieces = [b for b in boxes if len(b[4]) >= 3 and b[4] in f"*乳制品*{item}" and b[1] > _y_of(boxes, "项目名称")
              and b[1] < _y_of(boxes, "合")]
    assert pieces and all(x1 < spec_left for _x0, _y, x1, _y2, _w in pieces)
    text = _text(pdf, tmp_path)
    assert item[:10] in text and buyer[:10] in text


def _y_of(boxes, word: str) -> float:
    return next(y for _x, y, _x1, _y2, w in boxes if w.startswith(word))
