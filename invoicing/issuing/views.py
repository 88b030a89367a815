"""Invoice list, CSV export, detail, live status and the actions on one invoice."""

from __future__ import annotations

import uuid
from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.paginator import Paginator
from django.http import HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from audit import exports
from audit.services import Actor
from invoicing.delivery import services as delivery
from invoicing.delivery.services import DeliveryError
from invoicing.documents.services import invoice_files_zip
from invoicing.errors import ServiceError
from invoicing.issuing import actions
from invoicing.issuing import selectors as queries
from invoicing.issuing.form_views import can_copy
from invoicing.issuing.forms import InvoiceFilterForm
from invoicing.issuing.saved_drafts import row_id
from invoicing.models import Invoice
from invoicing.models.invoices import FAILURE_ADVICE, FAILURE_REASONS
from invoicing.rules.amounts import fmt_rate
from invoicing.rules.invoice import PLATFORM_RATES
from invoicing.taxcodes.coding import invoice_line_code_choose
from stores.access import access_for

S = Invoice.Status
LIVE_STATUSES = {S.PENDING, S.UPLOADING}


def _filters(request):
    access = access_for(request)
    form = InvoiceFilterForm(request.GET or None, user=request.user, is_hq=access.is_hq)
    filters = form.cleaned_data if form.is_bound and form.is_valid() else {}
    query = request.GET.copy()
    query.pop("page", None)
    return form, filters, query


@login_required
@require_GET
def invoice_list(request):
    access = access_for(request)
    access.require("invoice.view")
    form, filters, query = _filters(request)
    rows = queries.invoice_list(user=request.user, filters=filters)
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    return render(request, "invoicing/invoice_list.html", {
        "form": form, "page": page, "query": query.urlencode(), "is_hq": access.is_hq,
        "totals": queries.invoice_list_totals(rows, filters=filters), "bulk_max": BULK_MAX, "bulk_key": uuid.uuid4().hex,
        "can_resend": access.can("invoice.resend"),
        "can_export": access.can("invoice.export"), "can_issue": access.can("invoice.issue"),
        "filtered": bool(filters and any(v not in (None, "") for k, v in filters.items() if k != "sort")),
        "reasons": FAILURE_REASONS, "drill": _drill_note(filters),
        "awaiting_code": 0 if filters.get("coding") else queries.awaiting_code_count(user=request.user),
    })


def _drill_note(filters: dict) -> str:
    """What the hidden filters a dashboard figure links with select, in words (empty when none is set)."""
    parts = []
    if filters.get("confirmed_from") or filters.get("confirmed_to"):
        parts.append(_("开具日期 %(f)s 至 %(t)s") % {"f": filters.get("confirmed_from") or "…",
                                                  "t": filters.get("confirmed_to") or "…"})
    if filters.get("failed_from") or filters.get("failed_to"):
        parts.append(_("%(f)s 至 %(t)s 期间开具失败过") % {"f": filters.get("failed_from") or "…",
                                                     "t": filters.get("failed_to") or "…"})
    if filters.get("rate") not in (None, ""):
        parts.append(_("含税率 %(rate)s 的明细") % {"rate": fmt_rate(Decimal(filters["rate"]))})
    if filters.get("category"):
        parts.append(_("含“%(category)s”类明细") % {"category": filters["category"]})
    return "；".join(parts)


BULK_MAX = 200  # one request renders at most this many files; more would time out the page
BULK_KINDS = {"pdf": "PDF", "xml": "XML"}


@login_required
@require_POST
def invoice_bulk(request):
    """What the list's ticked invoices get: a zip of their PDFs or XMLs, a resend, or a print page."""
    access = access_for(request)
    access.require("invoice.view")
    back = reverse("invoicing:invoice_list") + (f"?{request.POST['query']}" if request.POST.get("query") else "")
    action = request.POST.get("action") or ""
    ids = list(dict.fromkeys(i for i in map(row_id, request.POST.getlist("ids")) if i is not None))
    if not ids:
        messages.error(request, _("请先勾选发票。"))
        return redirect(back)
    if len(ids) > BULK_MAX:
        messages.error(request, _("一次最多处理 %(max)s 张发票，您勾选了 %(n)s 张，请分批操作。") % {
            "max": BULK_MAX, "n": len(ids)})
        return redirect(back)
    chosen = [inv for inv in queries.invoices_chosen(user=request.user, ids=ids)
              if access.can("invoice.view", inv.store)]
    not_issued = [inv for inv in chosen if inv.status != S.ISSUED]
    if len(chosen) < len(ids) or not_issued:
        messages.error(request, _("所选发票中有 %(n)s 张不存在、无权查看或尚未开具，只有已开具的发票可以下载、重发或打印。请刷新页面后重新勾选。") % {
            "n": len(ids) - len(chosen) + len(not_issued)})
        return redirect(back)
    if action in BULK_KINDS:
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
        response = HttpResponse(invoice_files_zip(invoices=chosen, kind=action), content_type="application/zip")
        response["Content-Disposition"] = content_disposition_header(
            as_attachment=True, filename=f"发票{BULK_KINDS[action]}-{len(chosen)}张-{stamp}.zip")
        response["Cache-Control"] = "private, no-store"
        return response
    if action == "print":
        return render(request, "invoicing/invoice_print.html", {"invoices": chosen, "back": back})
    if action == "resend":
        return _bulk_resend(request, chosen, back)
    messages.error(request, _("请选择要进行的操作。"))
    return redirect(back)


def _bulk_resend(request, chosen: list[Invoice], back: str):
    """The detail page's 重发 for each ticked invoice, once: a reposted form (double click, back button) sends nothing."""
    access = access_for(request)
    key = (request.POST.get("bulk_key") or "")[:40]
    if not key or not cache.add(f"kaipiao:bulk-resend:{request.user.pk}:{key}", 1, 24 * 3600):
        messages.info(request, _("这批发票已安排重发，没有重复发送。"))
        return redirect(back)
    actor = Actor.for_user(request.user)
    sent, refused = 0, []
    for invoice in chosen:
        if not access.can("invoice.resend", invoice.store):
            refused.append(f"{invoice.number}：{_('无权重发')}")
            continue
        try:
            delivery.invoice_resend(invoice=invoice, actor=actor)
        except DeliveryError as exc:
            refused.append(f"{invoice.number}：{exc}")
        else:
            sent += 1
    if sent:
        messages.success(request, _("已安排重发 %(n)s 张发票，稍后可在各发票的交付记录中查看结果。") % {"n": sent})
    if refused:
        messages.error(request, _("%(n)s 张未能重发：") % {"n": len(refused)} + "；".join(refused))
    return redirect(back)


CSV_HEADER = ["发票号码", "开票日期", "门店编码", "门店", "状态", "发票种类", "蓝/红", "购方名称", "购方税号",
              "合计金额", "合计税额", "价税合计", "订单号", "失败原因", "创建时间"]


@login_required
@require_GET
def invoice_export(request):
    """The filtered list as CSV, streamed: amounts as numbers (red ones negative), text made formula-safe."""
    access = access_for(request)
    access.require("invoice.export")
    _form, filters, _query = _filters(request)
    invoices = queries.invoice_list(user=request.user, filters=filters)

    def rows():
        yield CSV_HEADER
        for inv in invoices.iterator(chunk_size=2000):
            yield [
                inv.number or "",
                timezone.localtime(inv.issued_at).strftime("%Y-%m-%d %H:%M:%S") if inv.issued_at else "",
                inv.store.code, inv.store.name, inv.status_label, inv.get_type_display(),
                inv.get_kind_display(), inv.buyer_name, inv.buyer_tax_id, inv.total_amount, inv.total_tax,
                inv.total_with_tax, inv.order.order_no if inv.order_id else "", inv.failure_message,
                timezone.localtime(inv.created_at).strftime("%Y-%m-%d %H:%M:%S"),
            ]

    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    response = StreamingHttpResponse(exports.csv_chunks(rows()), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=f"发票清单-{stamp}.csv")
    return response


@login_required
@require_GET
def invoice_detail(request, invoice_id: int):
    access = access_for(request)
    invoice = queries.invoice_detail(user=request.user, invoice_id=invoice_id)
    access.require("invoice.view", invoice.store)
    store = invoice.store
    can_exchanges = access.can("exchange.view", store)
    actions = {
        "cancel": access.can("invoice.cancel", store) and invoice.status in (S.DRAFT, S.PENDING, S.FAILED),
        "submit": access.can("invoice.issue", store) and invoice.status == S.DRAFT,
        "resubmit": access.can("invoice.issue", store) and invoice.status == S.FAILED,
        "edit": access.can("invoice.issue", store) and invoice.status in (S.FAILED, S.DRAFT),
        "resend": access.can("invoice.resend", store) and invoice.status == S.ISSUED,
        "download": invoice.status == S.ISSUED,
        "copy": access.can("invoice.issue", store) and can_copy(invoice),
        "reverse_url": (reverse("invoicing:invoice_reverse", args=[invoice.pk])
                        if access.can("invoice.reverse_request", store) and invoice.status == S.ISSUED
                        and invoice.kind == Invoice.Kind.BLUE and invoice.reversal_state != "reversed" else ""),
    }
    lines = list(invoice.lines.order_by("line_no"))
    order_lines = {x.get("line_no"): x for x in (invoice.order.lines if invoice.order_id else [])}
    for line in lines:
        line.rate_display = "—" if line.rate is None else fmt_rate(line.rate)
        line.coding = _line_coding(order_lines.get(line.line_no))
    uncoded = [line for line in lines if not line.tax_code]
    # The edit form cannot show a line whose rate is not known yet: code those lines first.
    actions["edit"] = actions["edit"] and not any(line.rate is None for line in lines)
    # Submitting is refused while a line has no code: don't offer a button that can only fail.
    actions["submit"] = actions["submit"] and not uncoded
    labels = dict(S.choices)
    events = queries.invoice_timeline(invoice=invoice)
    for event in events:
        event.from_display = labels.get(event.status_from, event.status_from)
        event.to_display = labels.get(event.status_to, event.status_to)
    return render(request, "invoicing/invoice_detail.html", {
        "invoice": invoice, "lines": lines, "events": events,
        "exchanges": queries.invoice_exchanges(user=request.user, invoice=invoice) if can_exchanges else None,
        "deliveries": queries.invoice_deliveries(invoice=invoice),
        "linked": queries.linked_invoices(user=request.user, invoice=invoice),
        "actions": actions, "live": invoice.status in LIVE_STATUSES,
        "uncoded": uncoded, "can_code": access.can("invoice.issue", store) and invoice.status == S.DRAFT,
        "rate_choices": [(format(r.normalize(), "f") if r else "0", fmt_rate(r)) for r in PLATFORM_RATES],
        "reason_label": FAILURE_REASONS.get(invoice.failure_code or "other", invoice.failure_code),
        "advice": FAILURE_ADVICE.get(invoice.failure_code or "other", FAILURE_ADVICE["other"]),
    })


def _line_coding(order_line: dict | None) -> dict | None:
    """How a line that came without a tax code got one (or that it waits), for the page."""
    if not order_line or not order_line.get("tax_code_status"):
        return None
    suggestions = []
    for item in order_line.get("tax_code_suggestions") or []:
        rates = "、".join(fmt_rate(Decimal(r)) for r in item.get("rates") or []) or "—"
        suggestions.append({**item, "rates_display": rates, "default_rate": _default_rate(item),
                            "confidence_pct": f"{round(float(item.get('confidence') or 0) * 100)}%"})
    confidence = order_line.get("tax_code_confidence")
    return {"status": order_line["tax_code_status"], "suggestions": suggestions,
            "note": order_line.get("tax_code_note", ""),
            "confidence_pct": "" if confidence is None else f"{round(float(confidence) * 100)}%"}


def _default_rate(suggestion: dict) -> str:
    """The rate a clerk coding by this suggestion most likely means: the company's own rate for the code
    (its memory, its catalogue), else the code's general rate (the first of its rates: 13 % for goods,
    9 % for farm produce, 6 % for services).

    The form used to default to "按编码", which the service refuses for a code with several rates —
    and most codes have several (the general rate, then the small-scale 3 % and 1 %).
    """
    rates = suggestion.get("rates") or []
    if suggestion.get("rate") is not None and suggestion["rate"] in rates:
        return suggestion["rate"]
    return rates[0] if rates else ""


@login_required
@require_POST
def invoice_line_code(request, invoice_id: int, line_no: int):
    """A person chooses the tax code of a line that waits for one (remembered for next time)."""
    code = (request.POST.get("tax_code_other") or "").strip() or (request.POST.get("tax_code") or "").strip()
    rate_text = (request.POST.get("rate") or "").strip()
    try:
        rate = Decimal(rate_text) if rate_text else None
    except InvalidOperation:
        messages.error(request, _("税率格式不正确，请从列表中选择税率。"))
        return redirect("invoicing:invoice_detail", invoice_id=invoice_id)

    coded = _("第%(line)s行已选择税收分类编码 %(code)s，本公司下次遇到同名商品会自动采用。") % {
        "line": line_no, "code": code[:19]}
    if request.POST.get("then") == "submit":  # 确认编码并提交开具: the last waiting line, in one step

        def code_and_submit(invoice, actor):
            return actions.invoice_line_code_and_submit(invoice=invoice, line_no=line_no, tax_code=code[:19],
                                                        rate=rate, actor=actor)

        def done(invoice):
            if invoice.status == S.DRAFT:
                return coded + _("还有明细待赋码，全部赋码后再提交开具。")
            return coded + _("已提交开具，请稍候查看结果。")

        return _act(request, invoice_id, "invoice.issue", code_and_submit, done)

    def choose(invoice, actor):
        return invoice_line_code_choose(invoice=invoice, line_no=line_no, tax_code=code[:19], rate=rate, actor=actor)

    return _act(request, invoice_id, "invoice.issue", choose, coded)


@login_required
@require_GET
def invoice_status(request, invoice_id: int):
    """A small JSON the detail page polls until the invoice is issued or failed."""
    invoice = queries.invoice_detail(user=request.user, invoice_id=invoice_id)
    access_for(request).require("invoice.view", invoice.store)
    return JsonResponse({
        "id": invoice.pk, "status": invoice.status, "status_display": invoice.get_status_display(),
        "number": invoice.number, "final": invoice.status not in LIVE_STATUSES,
        "failure": invoice.failure_message if invoice.status == S.FAILED else "",
    }, json_dumps_params={"ensure_ascii": False})


def _act(request, invoice_id: int, perm: str, action, done: str):
    invoice = queries.invoice_detail(user=request.user, invoice_id=invoice_id)
    access_for(request).require(perm, invoice.store)
    try:
        result = action(invoice=invoice, actor=Actor.for_user(request.user))
    except (ServiceError, DeliveryError) as exc:
        messages.error(request, getattr(exc, "message", None) or str(exc))
    else:
        messages.success(request, done(result) if callable(done) else done)
    return redirect("invoicing:invoice_detail", invoice_id=invoice.pk)


@login_required
@require_POST
def invoice_cancel(request, invoice_id: int):
    reason = (request.POST.get("reason") or "").strip()[:200]
    return _act(request, invoice_id, "invoice.cancel",
                lambda invoice, actor: actions.invoice_cancel(invoice=invoice, actor=actor, reason=reason),
                _("发票已取消。"))


@login_required
@require_POST
def invoice_submit(request, invoice_id: int):
    return _act(request, invoice_id, "invoice.issue", actions.invoice_submit, _("已提交开具，请稍候查看结果。"))


@login_required
@require_POST
def invoice_resubmit(request, invoice_id: int):
    return _act(request, invoice_id, "invoice.issue", actions.invoice_resubmit, _("已重新提交开具，请稍候查看结果。"))


@login_required
@require_POST
def invoice_resend(request, invoice_id: int):
    email = (request.POST.get("email") or "").strip()[:254]
    mobile = (request.POST.get("mobile") or "").strip()[:20]

    def resend(invoice, actor):
        extra = {"email": email, "mobile": mobile} if (email or mobile) else {}
        return delivery.invoice_resend(invoice=invoice, actor=actor, **extra)

    return _act(request, invoice_id, "invoice.resend", resend, _("已安排重发发票，稍后可在交付记录中查看结果。"))
