from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, render

from audit import selectors
from audit.forms import AuditFilterForm, ExchangeFilterForm
from audit.models import Exchange
from stores.access import access_for


def _filtered(request, form_class):
    form = form_class(request.GET or None)
    filters = form.cleaned_data if form.is_bound and form.is_valid() else {}
    query = request.GET.copy()
    query.pop("page", None)
    return form, filters, query.urlencode()


@login_required
def exchange_list(request):
    access_for(request).require("exchange.view")
    form, filters, query = _filtered(request, ExchangeFilterForm)
    page = Paginator(selectors.exchange_list(user=request.user, filters=filters), 50).get_page(request.GET.get("page"))
    return render(request, "audit/exchange_list.html", {"form": form, "page": page, "query": query})


@login_required
def exchange_detail(request, exchange_id: int):
    access_for(request).require("exchange.view")
    exchange = get_object_or_404(Exchange.objects.for_user(request.user), pk=exchange_id)
    return render(request, "audit/exchange_detail.html", {"exchange": exchange})


@login_required
def event_list(request):
    access_for(request).require("audit.view")
    form, filters, query = _filtered(request, AuditFilterForm)
    page = Paginator(selectors.audit_event_list(user=request.user, filters=filters), 50).get_page(request.GET.get("page"))
    return render(request, "audit/event_list.html", {"form": form, "page": page, "query": query})
