"""The 汇总确认 reminder on every page of HQ users who may confirm: from the 1st of the month until
the previous month is confirmed, with the deadline (SUMMARY_CONFIRM_DEADLINE_DAY)."""

from __future__ import annotations

from django.urls import reverse

from invoicing.models import MonthlySummary
from invoicing.summary.services import deadline, previous_month
from stores.access import access_for


def summary_reminder(request):
    if not getattr(request, "user", None) or not request.user.is_authenticated:
        return {}
    if not access_for(request).can("summary.confirm"):
        return {}
    month = previous_month()
    waiting = (MonthlySummary.objects.for_user(request.user)
               .filter(month=month, confirmed_at__isnull=True).select_related("company").order_by("company_id"))
    companies = [summary.company.name for summary in waiting]
    if not companies:
        return {}
    return {"summary_reminder": {"month": month, "deadline": deadline(month), "companies": companies,
                                 "url": reverse("invoicing:summary") + f"?month={month}"}}
