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
from invoicing.issuing import selectors as queries
from invoicing.issuing.actions import invoice_correct_and_resubmit, invoice_create_manual
from invoicing.issuing.forms import IssueForm, issue_initial_from_invoice
from invoicing.models import Invoice
from invoicing.rules.amounts import fmt_money, fmt_number, fmt_rate
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
            "quantity": fmt_number(line.quantity) if line.quantity is not None else "",
            "unit_price": fmt_number(line.unit_price) if line.unit_price is not None else "",
            "amount": fmt_money(line.amount), "rate": "免税" if line.preferential == "03" else
            "不征税" if line.preferential == "04" else fmt_rate(line.rate), "tax": fmt_money(line.tax),
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
        initial, lines_initial = (issue_initial_from_invoice(invoice) if invoice else (None, None))
        form = IssueForm(stores=stores, initial=initial, lines_initial=lines_initial)
        return render(request, "invoicing/issue_form.html", {**template, "form": form})
    form = IssueForm(request.POST, stores=stores)
    step = request.POST.get("step", "preview")
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
                messages.success(request, _("发票已提交开具，正在上传税务平台。"))
            else:
                messages.info(request, _("这张发票已经提交过（重复点击了确认），没有重复开具。"))
    except ServiceError as exc:
        form.header.add_error(None, exc.message)
        return render(request, "invoicing/issue_form.html", {**template, "form": form})
    return redirect("invoicing:invoice_detail", invoice_id=invoice.pk)


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
