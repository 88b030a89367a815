"""Product catalogue: list and search, create and edit (catalogue.manage), tax-code suggestions."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from audit.services import Actor
from invoicing.catalogue import selectors
from invoicing.catalogue.forms import ProductForm, ProductSearchForm
from invoicing.catalogue.services import PRODUCT_FIELDS, product_create, product_update
from invoicing.models import Product
from invoicing.rules.amounts import fmt_rate
from invoicing.taxcodes.matcher import suggest
from stores.access import access_for
from stores.models import Company
from stores.roles import PERMISSIONS


def _manage_companies(request) -> list:
    """Companies whose catalogue the user may maintain (products are shared by a company's stores)."""
    if request.user.is_superuser:
        return list(Company.objects.all()[:1])
    found = {}
    for m in access_for(request).memberships:
        if m.role in PERMISSIONS["catalogue.manage"]:
            found.setdefault(m.company_id, m.company)
    return list(found.values())


@login_required
@require_GET
def product_list(request):
    access = access_for(request)
    access.require("catalogue.view")
    form = ProductSearchForm(request.GET or None)
    data = form.cleaned_data if form.is_bound and form.is_valid() else {}
    active = {"1": True, "0": False}.get(data.get("active") or "")
    products = selectors.product_search(user=request.user, text=data.get("q", ""), active=active)
    page = Paginator(products, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "invoicing/product_list.html", {
        "form": form, "page": page, "query": query.urlencode(), "can_manage": bool(_manage_companies(request)),
    })


@login_required
@require_http_methods(["GET", "POST"])
def product_create_view(request):
    companies = _manage_companies(request)
    if not companies:
        raise Http404
    company = companies[0]
    form = ProductForm(request.POST or None, company=company)
    if request.method == "POST" and form.is_valid():
        try:
            product = product_create(company=company, actor=Actor.for_user(request.user),
                                     **{name: form.cleaned_data[name] for name in PRODUCT_FIELDS})
        except ValidationError as exc:
            _add_model_errors(form, exc)
        else:
            messages.success(request, _("商品“%(product)s”已保存。") % {"product": product.name})
            return redirect("invoicing:product_list")
    return render(request, "invoicing/product_form.html", {"form": form, "product": None, "company": company})


@login_required
@require_http_methods(["GET", "POST"])
def product_edit(request, product_id: int):
    product = get_object_or_404(Product.objects.for_user(request.user).select_related("company"), pk=product_id)
    if product.company not in _manage_companies(request):
        raise Http404
    form = ProductForm(request.POST or None, instance=Product.objects.get(pk=product.pk), company=product.company)
    if request.method == "POST" and form.is_valid():
        try:
            product = product_update(product=product, actor=Actor.for_user(request.user),
                                     **{name: form.cleaned_data[name] for name in PRODUCT_FIELDS})
        except ValidationError as exc:
            _add_model_errors(form, exc)
        else:
            messages.success(request, _("商品“%(product)s”已更新。") % {"product": product.name})
            return redirect("invoicing:product_list")
    return render(request, "invoicing/product_form.html", {"form": form, "product": product,
                                                           "company": product.company})


def _add_model_errors(form, exc: ValidationError) -> None:
    for name, errors in exc.message_dict.items():
        form.add_error(name if name in form.fields else None, errors)


@login_required
@require_GET
def taxcode_suggest(request):
    """Top 3 tax codes for a product name (the company's own earlier choices first)."""
    access = access_for(request)
    if not (access.can("catalogue.manage") or access.can("invoice.issue")):
        raise Http404
    name = (request.GET.get("name") or "").strip()[:100]
    if not name:
        return JsonResponse({"results": []})
    companies = access.companies()
    suggestions = suggest(name, company=companies[0] if len(companies) == 1 else None, k=3)
    return JsonResponse({"results": [{
        "code": s.code, "name": s.name, "short_name": s.short_name,
        "rates": [str(r.normalize()) for r in s.rates], "rates_display": "、".join(fmt_rate(r) for r in s.rates),
        "score": s.confidence, "reason": s.reason,
    } for s in suggestions]}, json_dumps_params={"ensure_ascii": False})
