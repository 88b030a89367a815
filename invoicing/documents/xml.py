"""The invoice in the official 数电票 XML structure (root ``EInvoice``).

Element names follow the 数电票 XML files the bureau issues (as read by the common parsers:
Header/InherentLabel, EInvoiceData with SellerInformation, BuyerInformation, BasicInformation,
one IssuItemInformation per line, AdditionalInformation, then TaxSupervisionInfo). We have no
XSD here, so the schema itself is not validated; the totals and the lines are what a
receiver's bookkeeping reads, and the tests parse them back.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET  # noqa: S405 - we build XML, never parse untrusted input here

from invoicing.documents.capitals import amount_to_chinese_capitals
from invoicing.documents.common import local_moment, number_text, printed_name
from invoicing.rules.amounts import fmt_money

VAT_LABELS = {"01": "增值税专用发票", "02": "普通发票"}
XML_VERSION = "0.35"


def _add(parent, tag: str, text=None) -> ET.Element:
    element = ET.SubElement(parent, tag)
    if text is not None:
        element.text = str(text)
    return element


def _label(parent, tag: str, code: str, name: str) -> None:
    element = _add(parent, tag)
    _add(element, "LabelCode", code)
    _add(element, "LabelName", name)


def _rate(line) -> str:
    # Decimal rate as the files carry it ("0.13"); tax-free / not-taxable lines name the policy.
    if line.preferential == "03":
        return "免税"
    if line.preferential == "04":
        return "不征税"
    return format(line.rate.normalize(), "f") if line.rate else "0"


def invoice_xml_bytes(invoice) -> bytes:
    if not invoice.number or not invoice.issued_at:
        raise ValueError(f"发票 {invoice.pk} 尚未开具（无号码或开票日期），不能生成 XML")
    issued = local_moment(invoice.issued_at)
    seller = invoice.seller or {}
    root = ET.Element("EInvoice")

    header = _add(root, "Header")
    _add(header, "EIid", invoice.number)
    # Characters 3-4 of a 数电 number are the province code, which the tag carries (e.g. SWEI3100).
    _add(header, "EInvoiceTag", f"SWEI{invoice.number[2:4]}00")
    _add(header, "Version", XML_VERSION)
    inherent = _add(header, "InherentLabel")
    _label(inherent, "InIssuType", "N" if invoice.kind == "red" else "Y", "红字发票" if invoice.kind == "red" else "蓝字发票")
    _label(inherent, "EInvoiceType", "01", "电子发票")
    _label(inherent, "GeneralOrSpecialVAT", invoice.type, VAT_LABELS.get(invoice.type, "普通发票"))

    data = _add(root, "EInvoiceData")
    s = _add(data, "SellerInformation")
    _add(s, "SellerIdNum", seller.get("tax_id", ""))
    _add(s, "SellerName", seller.get("name", ""))
    _add(s, "SellerAddr", seller.get("address", ""))
    _add(s, "SellerTelNum", seller.get("phone", ""))
    _add(s, "SellerBankName", seller.get("bank_name", ""))
    _add(s, "SellerBankAccNum", seller.get("bank_account", ""))

    b = _add(data, "BuyerInformation")
    _add(b, "BuyerIdNum", invoice.buyer_tax_id)
    _add(b, "BuyerName", invoice.buyer_name)
    _add(b, "BuyerAddr", invoice.buyer_address)
    _add(b, "BuyerTelNum", invoice.buyer_phone)
    _add(b, "BuyerBankName", invoice.buyer_bank_name)
    _add(b, "BuyerBankAccNum", invoice.buyer_bank_account)
    _add(b, "NaturalPersonFlag", "Y" if invoice.buyer_is_person else "N")

    basic = _add(data, "BasicInformation")
    _add(basic, "TotalAmWithoutTax", fmt_money(invoice.total_amount))
    _add(basic, "TotalTaxAm", fmt_money(invoice.total_tax))
    _add(basic, "TotalTax-includedAmount", fmt_money(invoice.total_with_tax))
    _add(basic, "TotalTax-includedAmountInChinese", amount_to_chinese_capitals(invoice.total_with_tax))
    _add(basic, "Drawer", invoice.drawer)
    _add(basic, "RequestTime", f"{issued:%Y-%m-%d %H:%M:%S}")

    for line in invoice.lines.all().order_by("line_no"):
        item = _add(data, "IssuItemInformation")
        _add(item, "ItemName", printed_name(line))
        _add(item, "SpecMod", line.spec)
        _add(item, "MeaUnits", line.unit)
        _add(item, "Quantity", number_text(line.quantity))
        _add(item, "UnPrice", number_text(line.unit_price))
        _add(item, "Amount", fmt_money(line.amount))
        _add(item, "TaxRate", _rate(line))
        _add(item, "ComTaxAm", "***" if line.preferential in ("03", "04") else fmt_money(line.tax))
        _add(item, "TotaltaxIncludedAmount", fmt_money(line.amount + line.tax))
        _add(item, "TaxClassificationCode", line.tax_code)

    specific = _add(data, "SpecificInformation")
    if invoice.kind == "red":
        red = _add(specific, "RedEInvoice")
        _add(red, "OriginalInvoiceCode", invoice.blue_invoice.number if invoice.blue_invoice_id else "")
        _add(red, "RedLetterFormNumber", invoice.red_form_number)
    additional = _add(data, "AdditionalInformation")
    _add(additional, "Remark", invoice.remark)

    supervision = _add(root, "TaxSupervisionInfo")
    _add(supervision, "InvoiceNumber", invoice.number)
    _add(supervision, "IssueTime", f"{issued:%Y-%m-%d %H:%M:%S}")

    ET.indent(root, space="  ")
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)
