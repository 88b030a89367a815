"""CSV and XLSX exports for HQ: invoices, reconciliation (per store / day / tax rate, reds
netted), audit trail. Rows are generated lazily; CSV starts with a UTF-8 BOM so that Excel
opens Chinese text correctly; XLSX is written by openpyxl in write-only mode."""

from __future__ import annotations

import codecs
import csv
import io
import tempfile
from collections.abc import Iterable, Iterator
from decimal import Decimal

from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncDate

from audit import labels
from audit.report_jobs import audit_events_for_report, period_bounds
from invoicing.documents.common import SHANGHAI
from invoicing.models import Invoice, InvoiceLine
from invoicing.rules.amounts import fmt_rate

ZERO = Decimal("0.00")


def _invoices(*, company, date_from, date_to, store_ids=()):
    start, end = period_bounds(date_from, date_to)
    qs = Invoice.objects.filter(company=company, issued_at__gte=start, issued_at__lt=end)
    if store_ids:
        qs = qs.filter(store_id__in=store_ids)
    return qs


def invoice_rows(*, company, date_from, date_to, store_ids=()) -> Iterator[list]:
    yield ["门店编码", "门店名称", "发票号码", "蓝/红", "发票种类", "状态", "开票日期", "购方名称", "购方税号",
           "金额", "税额", "价税合计", "原蓝字发票号码", "交付时间", "交付渠道"]
    qs = (_invoices(company=company, date_from=date_from, date_to=date_to, store_ids=store_ids)
          .select_related("store", "blue_invoice", "delivery").with_reversal().order_by("issued_at", "id"))
    for inv in qs.iterator(chunk_size=2000):
        delivery = getattr(inv, "delivery", None)  # reverse one-to-one: None when never delivered
        yield [inv.store.code, inv.store.name, inv.number or "", inv.get_kind_display(), inv.get_type_display(),
               inv.status_label, f"{inv.issued_at.astimezone(SHANGHAI):%Y-%m-%d %H:%M:%S}", inv.buyer_name,
               inv.buyer_tax_id, inv.total_amount, inv.total_tax, inv.total_with_tax,
               inv.blue_invoice.number if inv.blue_invoice_id and inv.blue_invoice.number else "",
               f"{delivery.delivered_at.astimezone(SHANGHAI):%Y-%m-%d %H:%M:%S}" if delivery and delivery.delivered_at else "",
               labels.channel_label(delivery.delivery_channel) if delivery and delivery.delivery_channel else ""]


def reconciliation_rows(*, company, date_from, date_to, store_ids=()) -> Iterator[list]:
    """Issued invoices per store, day (Asia/Shanghai) and rate; red lines are negative, so sums are net."""
    yield ["门店编码", "门店名称", "日期", "税率", "蓝字张数", "红字张数", "金额", "税额", "价税合计"]
    invoices = _invoices(company=company, date_from=date_from, date_to=date_to, store_ids=store_ids).filter(
        status=Invoice.Status.ISSUED)
    rows = (InvoiceLine.objects.filter(invoice__in=invoices)
            .annotate(day=TruncDate("invoice__issued_at", tzinfo=SHANGHAI))
            .values("invoice__store__code", "invoice__store__name", "day", "rate")
            .annotate(blue=Count("invoice", distinct=True, filter=Q(invoice__kind=Invoice.Kind.BLUE)),
                      red=Count("invoice", distinct=True, filter=Q(invoice__kind=Invoice.Kind.RED)),
                      amount=Sum("amount"), tax=Sum("tax"))
            .order_by("invoice__store__code", "day", "rate"))
    totals = [0, 0, ZERO, ZERO]
    for row in rows:
        amount, tax = row["amount"] or ZERO, row["tax"] or ZERO
        totals = [totals[0] + row["blue"], totals[1] + row["red"], totals[2] + amount, totals[3] + tax]
        yield [row["invoice__store__code"], row["invoice__store__name"], row["day"].isoformat(), fmt_rate(row["rate"]),
               row["blue"], row["red"], amount, tax, amount + tax]
    yield ["合计", "", "", "", totals[0], totals[1], totals[2], totals[3], totals[2] + totals[3]]


def audit_rows(*, company, date_from, date_to, store_ids=(), actions=()) -> Iterator[list]:
    # 变更内容 is what an accountant reads; 动作代码 and the raw snapshots stay for whoever checks the chain.
    yield ["时间", "门店", "操作人", "操作人类型", "动作", "对象类型", "对象编号", "对象", "变更内容", "动作代码",
           "变更前（原始）", "变更后（原始）", "序号", "哈希"]
    qs = (audit_events_for_report(company=company, date_from=date_from, date_to=date_to, store_ids=store_ids,
                                  actions=actions).select_related("store").order_by("created_at", "id"))
    for e in qs.iterator(chunk_size=2000):
        yield [f"{e.created_at.astimezone(SHANGHAI):%Y-%m-%d %H:%M:%S}", str(e.store) if e.store_id else "",
               labels.actor_label(e.actor_label, e.actor_type), e.get_actor_type_display(), labels.action_label(e.action),
               labels.object_label(e.object_type), e.object_id, e.object_repr,
               labels.change_text(e.before, e.after, e.object_type), e.action,
               labels.raw_json(e.before), labels.raw_json(e.after), e.seq, e.row_hash]


EXPORTS = {
    "invoices": ("发票清单", invoice_rows),
    "reconciliation": ("对账汇总", reconciliation_rows),
    "audit": ("审计记录", audit_rows),
}


def _cell(value):
    """Text that a spreadsheet would evaluate (leading = + - @, tab, CR) gets an apostrophe.

    Only text: amounts are passed as Decimal and written as plain numbers, so that a red
    invoice's -10.27 stays a number Excel can sum."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r") and not _is_number(value):
        return "'" + value
    return value


def _is_number(text: str) -> bool:
    try:
        Decimal(text)
    except ArithmeticError:
        return False
    return True


def csv_chunks(rows: Iterable[list]) -> Iterator[bytes]:
    """UTF-8 with BOM, for StreamingHttpResponse."""
    yield codecs.BOM_UTF8
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in rows:
        writer.writerow([_cell(v) for v in row])
        if buffer.tell() > 64 * 1024:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")


def xlsx_file(rows: Iterable[list], *, title: str):
    """A temporary file (rewound) holding the workbook; the caller streams and closes it."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31])
    for row in rows:
        sheet.append([_cell(v) for v in row])
    out = tempfile.TemporaryFile()
    workbook.save(out)
    out.seek(0)
    return out
