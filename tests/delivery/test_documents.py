import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from decimal import Decimal
from pathlib import Path

import pytest
from django.urls import reverse

from invoicing.documents.capitals import amount_to_chinese_capitals
from invoicing.documents.pdf import invoice_pdf_bytes
from invoicing.documents.qrimage import invoice_qr_text, qr_png_bytes
from invoicing.documents.xml import invoice_xml_bytes
from tests.delivery.conftest import make_invoice, red_of

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(("amount", "words"), [
    ("1234.50", "壹仟贰佰叁拾肆圆伍角"), ("0.05", "伍分"), ("100", "壹佰圆整"), ("0", "零圆整"),
    ("1005", "壹仟零伍圆整"), ("100500", "壹拾万零伍佰圆整"), ("101000", "壹拾万壹仟圆整"),
    ("10.05", "壹拾圆零伍分"), ("100000001", "壹亿零壹圆整"), ("110000.10", "壹拾壹万圆壹角"),
    ("-113", "负壹佰壹拾叁圆整"), ("0.015", "贰分"),
])
def test_it_writes_amounts_in_chinese_capitals(amount, words):
    assert amount_to_chinese_capitals(Decimal(amount)) == words


def test_it_refuses_float_amounts():
    with pytest.raises(TypeError):
        amount_to_chinese_capitals(1.5)


def _pdf_text(pdf: bytes, tmp_path) -> str:
    path = tmp_path / "x.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout


def test_it_renders_the_invoice_pdf_with_chinese_text_and_totals(tenants, tmp_path):
    invoice = make_invoice(tenants.a1, lines=[
        ("红富士苹果", "1010115010100000000", Decimal("2"), Decimal("50"), Decimal("100.00"), Decimal("0.09"), Decimal("9.00")),
        ("白菜", "1010112040000000000", Decimal("3"), Decimal("3"), Decimal("9.00"), Decimal("0.09"), Decimal("0.81")),
    ], remark="订单 SO-1 <b>不是标签</b>")
    text = _pdf_text(invoice_pdf_bytes(invoice), tmp_path)
    flat = "".join(text.split())
    assert "电子发票（普通发票）" in flat
    assert invoice.number in flat and "2025年03月05日" in flat
    assert "上海买方科技有限公司" in flat and tenants.a.name in flat
    assert "*水果*红富士苹果" in flat and "*蔬菜*白菜" in flat
    assert "¥109.00" in flat and "¥9.81" in flat and "¥118.81" in flat
    assert "壹佰壹拾捌圆捌角壹分" in flat
    assert "<b>不是标签</b>" in flat  # escaped, printed as text
    assert "开票人：张三" in flat


def test_it_renders_a_special_red_invoice_as_negative(tenants, tmp_path):
    blue = make_invoice(tenants.a1, type_="01")
    red = red_of(blue)
    red.type = "01"
    flat = "".join(_pdf_text(invoice_pdf_bytes(red), tmp_path).split())
    assert "电子发票（增值税专用发票）" in flat and "红字发票" in flat
    assert "（负数）壹佰零玖圆整" in flat and "¥-109.00" in flat
    assert f"被红冲蓝字数电发票号码：{blue.number}" in flat


def test_the_xml_carries_the_official_structure_and_totals(tenants):
    invoice = make_invoice(tenants.a1)
    root = ET.fromstring(invoice_xml_bytes(invoice))  # noqa: S314 - our own output
    assert root.tag == "EInvoice"
    assert root.findtext("Header/EIid") == invoice.number
    basic = root.find("EInvoiceData/BasicInformation")
    assert basic.findtext("TotalAmWithoutTax") == "100.00"
    assert basic.findtext("TotalTaxAm") == "9.00"
    assert basic.findtext("TotalTax-includedAmount") == "109.00"
    assert basic.findtext("TotalTax-includedAmountInChinese") == "壹佰零玖圆整"
    items = root.findall("EInvoiceData/IssuItemInformation")
    assert len(items) == 1
    assert sum(Decimal(i.findtext("Amount")) for i in items) == Decimal("100.00")
    assert sum(Decimal(i.findtext("ComTaxAm")) for i in items) == Decimal("9.00")
    assert items[0].findtext("TaxRate") == "0.09" and items[0].findtext("TaxClassificationCode") == "1010115010100000000"
    assert items[0].findtext("ItemName") == "*水果*红富士苹果"  # as the platform holds it (hwhyslwfwmc)
    assert root.findtext("EInvoiceData/SellerInformation/SellerIdNum") == tenants.a.tax_id
    assert root.findtext("EInvoiceData/BuyerInformation/BuyerName") == "上海买方科技有限公司"
    assert root.findtext("TaxSupervisionInfo/InvoiceNumber") == invoice.number


def test_the_red_xml_names_the_blue_invoice(tenants):
    blue = make_invoice(tenants.a1)
    root = ET.fromstring(invoice_xml_bytes(red_of(blue)))  # noqa: S314
    assert root.findtext("Header/InherentLabel/InIssuType/LabelCode") == "N"
    assert root.findtext("EInvoiceData/BasicInformation/TotalTax-includedAmount") == "-109.00"
    assert root.findtext("EInvoiceData/SpecificInformation/RedEInvoice/OriginalInvoiceCode") == blue.number


def _zbar(png: Path) -> str:
    out = subprocess.run(["zbarimg", "--quiet", "--raw", str(png)], capture_output=True, text=True, check=True).stdout
    return out.strip()


def test_the_qr_code_decodes_to_the_rules_content(tenants, tmp_path):
    invoice = make_invoice(tenants.a1, type_="01")
    expected = invoice_qr_text(invoice)
    assert expected.startswith(f"01,31,,{invoice.number},109.00,20250305,,")
    png = tmp_path / "qr.png"
    png.write_bytes(qr_png_bytes(expected))
    assert _zbar(png) == expected
    # And the code printed in the PDF, read back from a rendered page.
    pdf = tmp_path / "inv.pdf"
    pdf.write_bytes(invoice_pdf_bytes(invoice))
    subprocess.run(["pdftoppm", "-r", "200", "-png", "-f", "1", "-l", "1", str(pdf), str(tmp_path / "page")], check=True)
    assert _zbar(next(tmp_path.glob("page*.png"))) == expected


def _empty_fontconfig(tmp_path) -> dict:
    conf = tmp_path / "fonts.conf"
    conf.write_text('<?xml version="1.0"?>\n<fontconfig><cachedir>' + str(tmp_path / "cache") + "</cachedir></fontconfig>\n")
    return {**os.environ, "FONTCONFIG_FILE": str(conf)}


def test_a_missing_cjk_font_stops_pdf_work_with_a_clear_error(tmp_path):
    code = (
        "import types, django, os; django.setup()\n"
        "from invoicing.documents.pdf import invoice_pdf_bytes\n"
        "from invoicing.documents.fonts import MissingCJKFontError\n"
        "try:\n"
        "    invoice_pdf_bytes(types.SimpleNamespace(number='1', issued_at=None))\n"
        "except MissingCJKFontError as exc:\n"
        "    print('REFUSED', exc)\n"
    )
    env = {**_empty_fontconfig(tmp_path), "DJANGO_SETTINGS_MODULE": "config.settings"}
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert "REFUSED 未找到中文字体" in result.stdout, result.stderr
    assert "fonts-wqy-microhei" in result.stdout


def test_the_system_check_warns_at_start_up_without_a_cjk_font(tmp_path):
    env = _empty_fontconfig(tmp_path)
    result = subprocess.run([sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=120)
    assert "invoicing.W001" in result.stderr + result.stdout
    assert "未找到中文字体" in result.stderr + result.stdout


def test_it_lets_the_invoice_store_download_the_files(client, tenants):
    invoice = make_invoice(tenants.a1)
    for user in (tenants.clerk_a1, tenants.manager_a1, tenants.hq_finance):
        client.force_login(user)
        response = client.get(reverse("documents:invoice_file", args=[invoice.pk, "pdf"]))
        assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
        assert b"".join(response.streaming_content).startswith(b"%PDF")
    response = client.get(reverse("documents:invoice_file", args=[invoice.pk, "xml"]))
    assert response.status_code == 200 and b"<EInvoice>" in b"".join(response.streaming_content)
    assert invoice.files.count() == 2  # rendered once, then served from storage


@pytest.mark.parametrize("who", ["clerk_a2", "clerk_b1", "hq_admin_b"])
def test_other_stores_get_404_for_the_files(client, tenants, who):
    invoice = make_invoice(tenants.a1)
    client.force_login(getattr(tenants, who))
    assert client.get(reverse("documents:invoice_file", args=[invoice.pk, "pdf"])).status_code == 404


def test_anonymous_users_are_sent_to_login(client, tenants):
    invoice = make_invoice(tenants.a1)
    response = client.get(reverse("documents:invoice_file", args=[invoice.pk, "pdf"]))
    assert response.status_code == 302 and "login" in response["Location"]
