"""The manual issue form: edit → preview → confirm, its JSON helpers, and correcting a failed invoice.

Works without JavaScript (the server validates and re-renders with every error inline); with
it, ``validate.json`` runs the very same checks while the clerk types.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from audit.services import Actor
from invoicing.catalogue import selectors as catalogue_selectors
from invoicing.errors import ServiceError
from invoicing.issuing import saved_drafts
from invoicing.issuing import selectors as queries
from invoicing.issuing.actions import invoice_correct_and_resubmit, invoice_create_manual
from invoicing.issuing.forms import IssueForm, issue_initial_copied, issue_initial_from_invoice
from invoicing.models import Invoice
from invoicing.rules.amounts import fmt_money, fmt_rate
from stores.access import access_for
from stores.models import Store


def issuable_stores(request):
    access = access_for(request)
    ids = [s.pk for s in Store.objects.for_user(request.user).filter(is_active=True).select_related("company")
           if access.can("invoice.issue", s)]
    return Store.objects.filter(pk__in=ids).select_related("company").order_by("company_id", "code")


def _json(data, status=200):
    return JsonResponse(data, status=status, json_dumps_params={"ensure_ascii": False})


def _preview_lines(form: IssueForm) -> list[dict]:
    rows = []
    for line in form.manual.draft.lines:
        rows.append({
            "name": line.name, "tax_code": line.tax_code, "kind": line.kind, "spec": line.spec, "unit": line.unit,
            # Raw figures: the template's numbers filters format them as every other screen does.
            "quantity": line.quantity, "unit_price": line.unit_price, "amount": line.amount, "rate": line.rate,
            "preferential": line.preferential, "tax": line.tax,
        })
    return rows


@login_required
@require_http_methods(["GET", "POST"])
def invoice_create(request):
    access = access_for(request)
    access.require("invoice.issue")
    stores = issuable_stores(request)
    if not stores:
        raise Http404
    return _issue(request, stores=stores, invoice=None)


def _new_form_start(request, stores) -> tuple[dict | None, list[dict] | None]:
    """A new manual invoice starts empty, from a saved 草稿 (``?draft=``) or copied from an invoice (``?copy=``)."""
    draft_id, copy_id = saved_drafts.row_id(request.GET.get("draft")), saved_drafts.row_id(request.GET.get("copy"))
    if draft_id is not None:
        draft = saved_drafts.issue_draft_get(user=request.user, draft_id=draft_id)
        access_for(request).require("invoice.issue", draft.store)
        return saved_drafts.issue_draft_initial(draft)
    if copy_id is not None:
        original = queries.invoice_detail(user=request.user, invoice_id=copy_id)
        access_for(request).require("invoice.issue", original.store)
        if not can_copy(original):
            raise Http404
        header, rows = issue_initial_copied(original)
        if not any(s.pk == original.store_id for s in stores):
            header.pop("store")
        return header, rows
    return None, None


def can_copy(invoice: Invoice) -> bool:
    """A blue invoice whose every line has its rate (a red one is copied from its blue original)."""
    return invoice.kind == Invoice.Kind.BLUE and not invoice.lines.filter(rate__isnull=True).exists()


@login_required
@require_GET
def draft_list(request):
    """草稿: the manual invoices saved half-done, of the stores the user may issue for."""
    access = access_for(request)
    access.require("invoice.issue")
    drafts = [d for d in saved_drafts.issue_drafts_for(user=request.user) if access.can("invoice.issue", d.store)]
    return render(request, "invoicing/draft_list.html", {"drafts": drafts})


@login_required
@require_POST
def draft_delete(request, draft_id: int):
    draft = saved_drafts.issue_draft_get(user=request.user, draft_id=draft_id)
    access_for(request).require("invoice.issue", draft.store)
    saved_drafts.issue_draft_delete(draft=draft)
    messages.success(request, _("草稿已删除。"))
    return redirect("invoicing:draft_list")


def _save_draft(request, *, stores):
    """保存草稿: keep the form as typed, checked only for which store it belongs to."""
    store = next((s for s in stores if str(s.pk) == (request.POST.get("store") or "")), stores[0])
    access_for(request).require("invoice.issue", store)
    draft_id = saved_drafts.row_id(request.POST.get("saved_draft"))
    draft = saved_drafts.issue_draft_get(user=request.user, draft_id=draft_id) if draft_id is not None else None
    if draft is not None:
        access_for(request).require("invoice.issue", draft.store)
    saved_drafts.issue_draft_save(user=request.user, store=store, post=request.POST, draft=draft)
    messages.success(request, _("已保存为草稿，可在“草稿”中继续填写。"))
    return redirect("invoicing:draft_list")


@login_required
@require_http_methods(["GET", "POST"])
def invoice_edit(request, invoice_id: int):
    """Correct a failed (or waiting) invoice's buyer and lines, then send it again."""
    invoice = queries.invoice_detail(user=request.user, invoice_id=invoice_id)
    access_for(request).require("invoice.issue", invoice.store)
    if not invoice.is_editable:
        messages.error(request, _("只有开具失败或待人工开具的发票可以修改。"))
        return redirect("invoicing:invoice_detail", invoice_id=invoice.pk)
    if invoice.lines.filter(rate__isnull=True).exists():
        messages.error(request, _("请先在发票页为待人工赋码的明细选择税收分类编码，再修改发票。"))
        return redirect("invoicing:invoice_detail", invoice_id=invoice.pk)
    stores = Store.objects.filter(pk=invoice.store_id).select_related("company")
    return _issue(request, stores=stores, invoice=invoice)


def _issue(request, *, stores, invoice: Invoice | None):
    template = {"stores": stores, "invoice": invoice}
    if request.method == "GET":
        initial, lines_initial = (issue_initial_from_invoice(invoice) if invoice else _new_form_start(request, stores))
        form = IssueForm(stores=stores, initial=initial, lines_initial=lines_initial)
        return render(request, "invoicing/issue_form.html", {**template, "form": form})
    step = request.POST.get("step", "preview")
    if step == "save_draft" and invoice is None:
        return _save_draft(request, stores=stores)
    form = IssueForm(request.POST, stores=stores)
    if step == "edit" or not form.is_valid():
        if step == "edit":
            form.is_valid()  # keep the values; errors are shown only if any
        return render(request, "invoicing/issue_form.html", {**template, "form": form}, status=200)
    if step != "confirm":
        return render(request, "invoicing/issue_preview.html", {
            **template, "form": form, "draft": form.manual.draft, "lines": _preview_lines(form),
            "warnings": [m for ms in form.warnings_by_name().values() for m in ms],
            "buyer": form.manual.buyer, "store": form.header.cleaned_data["store"],
        })
    store = form.header.cleaned_data["store"]
    access_for(request).require("invoice.issue", store)
    actor = Actor.for_user(request.user)
    try:
        if invoice is not None:
            invoice = invoice_correct_and_resubmit(invoice=invoice, actor=actor, manual=form.manual)
            messages.success(request, _("发票已修改并重新提交开具。"))
        else:
            # A double click or a reload of the confirm POST gets the invoice the first one made.
            invoice, created = invoice_create_manual(store=store, actor=actor, manual=form.manual,
                                                     submission_key=form.header.cleaned_data.get("submission_key"))
            if created:
                _drop_issued_draft(request, form.header.cleaned_data.get("saved_draft"))
                messages.success(request, _("发票已提交开具，正在上传税务平台。"))
            else:
                messages.info(request, _("这张发票已经提交过（重复点击了确认），没有重复开具。"))
    except ServiceError as exc:
        form.header.add_error(None, exc.message)
        return render(request, "invoicing/issue_form.html", {**template, "form": form})
    return redirect("invoicing:invoice_detail", invoice_id=invoice.pk)


def _drop_issued_draft(request, draft_id: int | None) -> None:
    """The 草稿 an invoice was issued from is done with (one the user may not see is left alone)."""
    draft = saved_drafts.issue_drafts_for(user=request.user).filter(pk=draft_id).first() if draft_id else None
    if draft is not None:
        saved_drafts.issue_draft_delete(draft=draft)


@login_required
@require_POST
def invoice_validate(request):
    """The server's rules on the form as typed, answered as field-keyed Chinese messages."""
    access_for(request).require("invoice.issue")
    form = IssueForm(request.POST, stores=issuable_stores(request))
    ok = form.is_valid()
    body = {"ok": ok, "errors": form.errors_by_name(), "warnings": form.warnings_by_name()}
    if form.manual is not None:
        draft = form.manual.draft
        body["totals"] = {"amount": fmt_money(draft.total_amount), "tax": fmt_money(draft.total_tax),
                          "with_tax": fmt_money(draft.total_with_tax)}
    return _json(body)


@login_required
@require_GET
def product_lookup(request):
    access = access_for(request)
    if not (access.can("invoice.issue") or access.can("catalogue.view")):
        raise Http404
    company = None
    store_id = request.GET.get("store") or ""
    if store_id.isdigit():
        store = Store.objects.for_user(request.user).filter(pk=int(store_id)).first()
        company = store.company if store else None
    products = catalogue_selectors.product_search(user=request.user, company=company, text=request.GET.get("q", ""), limit=10)
    return _json({"results": [{
        "id": p.pk, "sku": p.sku, "name": p.name, "display_name": p.display_name, "tax_code": p.tax_code,
        "rate": str(p.rate.normalize()), "rate_display": fmt_rate(p.rate), "unit": p.unit, "spec": p.spec,
        "price": format(p.price.normalize(), "f"), "price_includes_tax": p.price_includes_tax,
    } for p in products]})


@login_required
@require_GET
def buyer_lookup(request):
    access_for(request).require("invoice.issue")
    stores = issuable_stores(request)
    store_id = request.GET.get("store") or ""
    store = next((s for s in stores if str(s.pk) == store_id), stores[0] if stores else None)
    if store is None:
        raise Http404
    return _json({"results": queries.buyer_search(company=store.company, text=request.GET.get("q", ""))})
