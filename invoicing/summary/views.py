"""The 汇总确认 page for HQ finance: our figures of a month next to the platform's, the invoices that
differ line by line, and the 确认上传 button (POST, once per company and month)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from invoicing.models import MonthlySummary
from invoicing.summary.services import (
    SummaryRefused,
    compare,
    deadline,
    month_bounds,
    previous_month,
    summary_compute,
    summary_confirm,
    valid_month,
)
from invoicing.taxapi.errors import TaxPlatformError
from stores.access import access_for
from stores.models import Company
from stores.roles import HQ_ROLES


def _companies(request):
    if request.user.is_superuser:
        return list(Company.objects.order_by("pk"))
    access = access_for(request)
    return [c for c in access.companies() if any(m.company_id == c.pk and m.role in HQ_ROLES
                                                  for m in access.memberships)]


def _chosen(request, source) -> tuple[Company, str]:
    companies = _companies(request)
    if not companies:
        raise Http404
    company_id = str(source.get("company") or companies[0].pk)
    company = next((c for c in companies if str(c.pk) == company_id), None)
    if company is None:
        raise Http404
    month = str(source.get("month") or previous_month())
    return company, month


def _page_url(company, month: str) -> str:
    return reverse("invoicing:summary") + f"?company={company.pk}&month={month}"


@login_required
@require_http_methods(["GET"])
def summary_page(request):
    access_for(request).require("summary.confirm")
    company, month = _chosen(request, request.GET)
    context = {"companies": _companies(request), "company": company, "month": month, "comparison": None,
               "platform_error": "", "summary": None, "months": []}
    if not valid_month(month):
        context["month_error"] = "月份格式应为 yyyy-MM，如 2026-11"
        return render(request, "invoicing/summary.html", context, status=400)
    _start, end = month_bounds(month)
    ended = timezone.now() >= end
    summary = MonthlySummary.objects.for_user(request.user).filter(company=company, month=month).first()
    if ended and (summary is None or summary.confirmed_at is None):
        # Our figures as of now: an unconfirmed month is recomputed so the page never shows stale ones.
        summary = summary_compute(company=company, month=month)
    context.update(summary=summary, ended=ended, deadline=deadline(month),
                   months=MonthlySummary.objects.for_user(request.user).filter(company=company)
                   .values_list("month", flat=True)[:24])
    if summary is not None:
        try:
            context["comparison"] = compare(summary)
        except TaxPlatformError as exc:
            context["platform_error"] = exc.message
    context["upload"] = summary.uploads.first() if summary is not None else None
    return render(request, "invoicing/summary.html", context)


@login_required
@require_POST
def summary_confirm_view(request):
    access_for(request).require("summary.confirm")
    company, month = _chosen(request, request.POST)
    summary = get_object_or_404(MonthlySummary.objects.for_user(request.user), company=company, month=month)
    try:
        summary_confirm(summary=summary, user=request.user)
    except SummaryRefused as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"{month}的汇总确认已上传，平台已确认。")
    return redirect(_page_url(company, month))
