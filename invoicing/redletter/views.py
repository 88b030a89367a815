"""Red-letter screens: 红冲 from an invoice, the forms with their time left, batch reversal, voiding.

Views parse, authorise (another store's row is a 404), call one service and respond.
"""

from __future__ import annotations

import csv
import secrets

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from audit.services import Actor
from invoicing.errors import ServiceError
from invoicing.issuing.platform import provider_for
from invoicing.models import BatchReversal, Invoice, RedLetterForm
from invoicing.redletter import applications, common, selectors, sync, voiding
from invoicing.redletter import batch as batch_reversal
from invoicing.redletter.forms import BatchReversalForm, FormFilterForm, ReverseForm
from invoicing.taxapi import TaxPlatformError
from stores.access import access_for
from stores.models import Store

FORM_REFRESH_AFTER_S = 30


def _invoice_for(request, invoice_id: int) -> Invoice:
    return get_object_or_404(Invoice.objects.for_user(request.user).select_related("company", "store"), pk=invoice_id)


def _form_for(request, form_id: int) -> RedLetterForm:
    return get_object_or_404(
        RedLetterForm.objects.for_user(request.user).select_related("company", "store", "blue_invoice", "red_invoice",
                                                                     "requested_by", "approved_by"),
        pk=form_id)




def _buyer_status(invoice: Invoice) -> dict:
    """FPZTXXCX before applying: whether the buyer booked it decides if a confirmation is needed."""
    try:
        status = provider_for(invoice.company).invoice_status(number=invoice.number)
    except TaxPlatformError as exc:
        return {"error": f"暂时无法查询平台发票状态：{exc.message}"}
    return {"booked": status.booked_by_buyer, "state": status.state.value,
            "reversed_amount": status.reversed_amount}


@login_required
@require_http_methods(["GET", "POST"])
def invoice_reverse(request, invoice_id: int):
    """红冲 from an issued blue invoice: remaining per line, the buyer's booking, the request form."""
    invoice = _invoice_for(request, invoice_id)
    access = access_for(request)
    access.require("invoice.reverse_request", invoice.store)
    remaining = selectors.blue_invoice_remaining(invoice)
    form = ReverseForm(request.POST or None, lines=[x for x in remaining.lines if x.remaining_amount > 0])
    if request.method == "POST" and form.is_valid():
        try:
            red_form, created = applications.red_letter_form_request_for_user(
                invoice=invoice, user=request.user, access=access, reason=form.cleaned_data["reason"],
                full=form.cleaned_data["mode"] == "full", lines=form.requested(), note=form.cleaned_data["note"],
                submission_key=form.cleaned_data["submission_key"])
        except ServiceError as exc:
            form.add_error(None, exc.message)
        else:
            if not created:
                messages.info(request, _("这份红冲申请已经提交过（重复点击了提交），没有重复申请。"))
            elif red_form.approval == RedLetterForm.Approval.PENDING:
                messages.success(request, _("红冲申请已提交，等待店长审批"))
            elif red_form.submission == RedLetterForm.Submission.REFUSED:
                messages.error(request, red_form.note)
            else:
                messages.success(request, _("红冲申请已提交：%(status)s") % {"status": red_form.status_label})
            return redirect("invoicing:red_form_detail", red_form.pk)
    context = {
        "invoice": invoice, "remaining": remaining, "form": form,
        "forms": invoice.red_letter_forms.select_related("red_invoice").order_by("-created_at"),
        "reversible": invoice.kind == Invoice.Kind.BLUE and invoice.status == Invoice.Status.ISSUED,
        "margin_taxed": selectors.blue_is_margin_taxed(invoice),
        "invoice_url": reverse("invoicing:invoice_detail", args=[invoice.pk]),
    }
    if context["reversible"] and request.method == "GET":
        context["buyer_status"] = _buyer_status(invoice)
    return render(request, "invoicing/redletter/invoice_reverse.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def invoice_void(request, invoice_id: int):
    """作废: refused for every issued 数电 invoice, with the reason and the way to reverse instead."""
    invoice = _invoice_for(request, invoice_id)
    access_for(request).require("invoice.view", invoice.store)
    error = None
    if request.method == "POST":
        try:
            voiding.invoice_void(invoice=invoice, actor=Actor.for_user(request.user))
        except ServiceError as exc:
            error = exc.message
    context = {
        "invoice": invoice, "error": error, "explanation": common.VOID_EXPLANATION,
        "cancellable": invoice.status in (Invoice.Status.DRAFT, Invoice.Status.PENDING, Invoice.Status.FAILED),
        "cancel_url": reverse("invoicing:invoice_cancel", args=[invoice.pk]),
        "invoice_url": reverse("invoicing:invoice_detail", args=[invoice.pk]),
        "can_reverse": access_for(request).can("invoice.reverse_request", invoice.store),
    }
    return render(request, "invoicing/redletter/invoice_void.html", context, status=409 if error else 200)


def _sync_companies(request) -> None:
    for company in access_for(request).companies():
        if company.platform_unit_id:
            sync.red_letter_forms_sync_if_stale(company_id=company.pk)


@login_required
def red_form_list(request):
    """Forms the user may see; the pending view shows the time left before the 72-hour void."""
    access_for(request).require("invoice.reverse_request")
    form = FormFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_bound and form.is_valid() else {}
    _sync_companies(request)
    forms = selectors.red_form_list(user=request.user, filters=filters)
    page = Paginator(forms, 50).get_page(request.GET.get("page"))
    now = timezone.now()
    rows = [(item, selectors.time_left_label(item, now=now)) for item in page]
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "invoicing/redletter/form_list.html",
                  {"form": form, "page": page, "rows": rows, "query": query.urlencode()})


@login_required
@require_POST
def red_form_sync(request):
    access_for(request).require("invoice.reverse_request")
    for company in access_for(request).companies():
        if company.platform_unit_id:
            try:
                sync.red_letter_forms_sync(company_id=company.pk)
            except TaxPlatformError as exc:
                messages.error(request, f"同步红字确认单失败：{exc.message}")
                return redirect("invoicing:red_form_list")
    messages.success(request, _("已与税务平台同步红字确认单"))
    return redirect("invoicing:red_form_list")


@login_required
def red_form_detail(request, form_id: int):
    red_form = _form_for(request, form_id)
    access = access_for(request)
    access.require("invoice.reverse_request", red_form.store)
    stale = (red_form.last_refreshed_at is None
             or (timezone.now() - red_form.last_refreshed_at).total_seconds() > FORM_REFRESH_AFTER_S)
    if red_form.uuid and stale and not red_form.is_void:
        try:
            red_form = applications.red_letter_form_refresh(form_id=red_form.pk)
        except TaxPlatformError as exc:
            messages.warning(request, f"暂时无法从税务平台刷新状态：{exc.message}")
        red_form = _form_for(request, form_id)
    can_approve = access.can("invoice.reverse_approve", red_form.store)
    red = red_form.red_invoice
    context = {
        "red_form": red_form, "lines": red_form.lines.select_related("blue_line").order_by("position"),
        "time_left": selectors.time_left_label(red_form),
        "can_approve": can_approve and red_form.approval == RedLetterForm.Approval.PENDING
        and red_form.requested_by_id != request.user.pk,
        "can_answer": can_approve and red_form.state == RedLetterForm.State.AWAITING_SELLER,
        "can_revoke": can_approve and red_form.state in ("01", "02", "03", "04")
        and not (red and red.status in (Invoice.Status.ISSUED, Invoice.Status.UPLOADING)),
        "can_withdraw": red_form.submission == RedLetterForm.Submission.WAITING
        and red_form.approval != RedLetterForm.Approval.REJECTED,
        "can_reapply": red_form.is_void,
        "blue_url": reverse("invoicing:invoice_detail", args=[red_form.blue_invoice_id]),
        "red_url": reverse("invoicing:invoice_detail", args=[red.pk]) if red else None,
    }
    return render(request, "invoicing/redletter/form_detail.html", context)


ACTION_PERMS = {"confirm": "invoice.reverse_approve", "deny": "invoice.reverse_approve",
                "revoke": "invoice.reverse_approve", "approve": "invoice.reverse_approve",
                "reject": "invoice.reverse_approve", "withdraw": "invoice.reverse_request",
                "reapply": "invoice.reverse_request"}


@login_required
@require_POST
def red_form_action(request, form_id: int):
    red_form = _form_for(request, form_id)
    action = request.POST.get("action", "")
    if action not in ACTION_PERMS:
        raise Http404
    access_for(request).require(ACTION_PERMS[action], red_form.store)
    actor = Actor.for_user(request.user)
    try:
        if action in ("confirm", "deny", "revoke"):
            red_form = applications.red_letter_form_act(form=red_form, action=action, actor=actor)
            messages.success(request, f"已{common.ACTION_LABELS[action]}，确认单状态：{red_form.status_label}")
        elif action in ("approve", "reject"):
            red_form = applications.red_letter_form_approve(form=red_form, actor=actor, approve=action == "approve",
                                                        note=request.POST.get("note", "")[:200])
            if action == "approve":
                red_form = applications.red_letter_form_submit_now(form_id=red_form.pk)
            messages.success(request, f"已{'批准' if action == 'approve' else '驳回'}：{red_form.status_label}")
        elif action == "withdraw":
            applications.red_letter_form_withdraw(form=red_form, actor=actor)
            messages.success(request, _("红冲申请已撤回"))
        else:
            new_form = applications.red_letter_form_reapply(form=red_form, actor=actor)
            new_form = (applications.red_letter_form_submit_now(form_id=new_form.pk)
                        if new_form.approval != RedLetterForm.Approval.PENDING else new_form)
            messages.success(request, _("已重新申请：%(status)s") % {"status": new_form.status_label})
            return redirect("invoicing:red_form_detail", new_form.pk)
    except ServiceError as exc:
        messages.error(request, exc.message)
    return redirect("invoicing:red_form_detail", red_form.pk)


# --- batch reversal (HQ) -----------------------------------------------------------------------------------


def _hq_company(request):
    companies = access_for(request).companies()
    if not companies:
        raise Http404
    return companies[0]


BATCH_MAX_INVOICES = 5000
BATCH_PREVIEW_ROWS = 200


@login_required
@require_http_methods(["GET", "POST"])
def batch_list(request):
    """批量红冲 in two steps: the selection shows a preview (count, totals, the invoices); only its
    confirm button starts the batch, and confirms exactly the invoices that were previewed."""
    access_for(request).require("invoice.batch_reverse")
    company = _hq_company(request)
    form = BatchReversalForm(request.POST or None, stores=Store.objects.for_user(request.user).filter(company=company))
    preview = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        invoices = selectors.reversible_invoices(company=company, store=data["store"], date_from=data["date_from"],
                                                 date_to=data["date_to"], numbers=data["numbers"])
        confirm_key = request.POST.get("confirm_key", "")[:64]
        if confirm_key:
            done = selectors.batch_reversal_for_key(company=company, confirm_key=confirm_key)
            if done is not None:  # the same preview confirmed twice (double-click): the first batch
                return redirect("invoicing:red_batch_detail", done.pk)
            previewed = _previewed_ids(request.POST.get("invoice_ids", ""))
            chosen = list(invoices.filter(pk__in=previewed)[:BATCH_MAX_INVOICES])
            if previewed and len(chosen) == len(previewed):
                selection = {"store": data["store"].code if data["store"] else "", "numbers": data["numbers"][:50],
                             "date_from": str(data["date_from"] or ""), "date_to": str(data["date_to"] or "")}
                try:
                    batch, created = batch_reversal.batch_reversal_create(
                        company=company, actor=Actor.for_user(request.user), reason=data["reason"], invoices=chosen,
                        selection=selection, submission_key=confirm_key)
                except ServiceError as exc:
                    form.add_error(None, exc.message)
                else:
                    if created:
                        messages.success(request, _("批量红冲已开始：共 %(total)s 张发票") % {"total": batch.total})
                    return redirect("invoicing:red_batch_detail", batch.pk)
            else:
                form.add_error(None, _("预览之后有发票的状态变了（已红冲、已作废或已不在所选范围），请核对下面新的预览后再确认。"))
        preview = selectors.batch_reversal_preview(invoices, rows=BATCH_PREVIEW_ROWS)
        preview.update(ids=",".join(str(pk) for pk in invoices.values_list("pk", flat=True)[:BATCH_MAX_INVOICES]),
                       confirm_key=secrets.token_urlsafe(16), max=BATCH_MAX_INVOICES,
                       too_many=preview["count"] > BATCH_MAX_INVOICES)
    batches = Paginator(selectors.batch_reversal_list(user=request.user), 20).get_page(request.GET.get("page"))
    return render(request, "invoicing/redletter/batch_list.html", {"form": form, "page": batches, "preview": preview})


def _previewed_ids(text: str) -> set[int]:
    return {int(part) for part in text.split(",")[:BATCH_MAX_INVOICES] if part.strip().isdigit()}


def _batch_for(request, batch_id: int) -> BatchReversal:
    access_for(request).require("invoice.batch_reverse")
    return get_object_or_404(BatchReversal.objects.for_user(request.user), pk=batch_id)


@login_required
def batch_detail(request, batch_id: int):
    batch = _batch_for(request, batch_id)
    items = Paginator(batch.items.select_related("invoice", "invoice__store", "form"), 100).get_page(
        request.GET.get("page"))
    return render(request, "invoicing/redletter/batch_detail.html", {"batch": batch, "page": items})


@login_required
def batch_progress(request, batch_id: int):
    batch = _batch_for(request, batch_id)
    return JsonResponse({"status": batch.status, "status_label": batch.get_status_display(), "total": batch.total,
                         "processed": batch.processed, "succeeded": batch.succeeded, "failed": batch.failed,
                         "percent": batch.percent})


@login_required
def batch_outcomes_csv(request, batch_id: int):
    batch = _batch_for(request, batch_id)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="batch-reversal-{batch.pk}.csv"'
    response.write("\ufeff")  # Excel opens UTF-8 CSV correctly only with a BOM
    writer = csv.writer(response)
    writer.writerow(["发票号码", "门店", "价税合计", "结果", "红字确认单编号", "确认单状态", "说明"])
    for item in batch.items.select_related("invoice", "invoice__store", "form").order_by("id"):
        form = item.form
        writer.writerow([_csv_safe(item.invoice.number or ""), _csv_safe(item.invoice.store.name),
                         str(item.invoice.total_with_tax), item.get_outcome_display(),
                         _csv_safe(form.number if form else ""), form.status_label if form else "",
                         _csv_safe(item.message)])
    return response


def _csv_safe(value: str) -> str:
    # A cell starting with = + - @ would be run as a formula by spreadsheet programs.
    return "'" + value if value[:1] in ("=", "+", "-", "@") else value
