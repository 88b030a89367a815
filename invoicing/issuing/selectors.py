"""Reads behind the store screens (selectors), always starting from ``for_user``."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from decimal import Decimal

from django.db.models import Count, Exists, Max, OuterRef, Q, Sum
from django.utils import timezone

from audit.models import Exchange
from invoicing.dashboard.selectors import stuck_backlog
from invoicing.models import DeliveryAttempt, Invoice, InvoiceEvent, InvoiceLine
from invoicing.taxcodes.reference import codes_by_short_name

SORT_FIELDS = {
    "-date": ("-created_at", "-id"),
    "date": ("created_at", "id"),
    "-amount": ("-total_with_tax", "-id"),
    "amount": ("total_with_tax", "id"),
    "status": ("status", "-created_at", "-id"),
}


def invoice_list(*, user, filters: dict):
    qs = Invoice.objects.for_user(user).select_related("store", "order").with_reversal()
    tz = timezone.get_current_timezone()
    if filters.get("date_from"):
        qs = qs.filter(created_at__gte=datetime.combine(filters["date_from"], time.min, tzinfo=tz))
    if filters.get("date_to"):
        qs = qs.filter(created_at__lt=datetime.combine(filters["date_to"] + timedelta(days=1), time.min, tzinfo=tz))
    status = filters.get("status")
    if status == "backlog":
        qs = qs.filter(status__in=[Invoice.Status.PENDING, Invoice.Status.UPLOADING])
    elif status == "stuck":
        qs = qs.filter(stuck_backlog(now=timezone.now()))
    elif status:
        qs = qs.with_display_status(status)
    if filters.get("kind"):
        qs = qs.filter(kind=filters["kind"])
    # The dashboard counts an invoice on the day the platform confirmed it (dashboard.stats).
    if filters.get("confirmed_from"):
        qs = qs.filter(confirmed_at__gte=_day_start(filters["confirmed_from"], tz))
    if filters.get("confirmed_to"):
        qs = qs.filter(confirmed_at__lt=_day_start(filters["confirmed_to"] + timedelta(days=1), tz))
    # …and a failure on the day it happened, which the timeline keeps.
    if filters.get("failed_from") or filters.get("failed_to"):
        events = InvoiceEvent.objects.filter(invoice=OuterRef("pk"), status_to=Invoice.Status.FAILED)
        if filters.get("failed_from"):
            events = events.filter(created_at__gte=_day_start(filters["failed_from"], tz))
        if filters.get("failed_to"):
            events = events.filter(created_at__lt=_day_start(filters["failed_to"] + timedelta(days=1), tz))
        qs = qs.filter(Exists(events))
    lines = _line_condition(filters)
    if lines is not None:
        qs = qs.filter(Exists(InvoiceLine.objects.filter(lines, invoice=OuterRef("pk"))))
    reason = filters.get("reason")
    if reason == "other":  # the day figures count an empty failure code as "other"
        qs = qs.filter(Q(failure_code="") | Q(failure_code="other"))
    elif reason:
        qs = qs.filter(failure_code=reason)
    if filters.get("q"):
        text = filters["q"].strip()
        qs = qs.filter(Q(buyer_name__icontains=text) | Q(buyer_tax_id__iexact=text.upper()))
    if filters.get("number"):
        number = filters["number"].strip()
        qs = qs.filter(number=number) if len(number) == 20 else qs.filter(number__contains=number)
    if filters.get("order_no"):
        qs = qs.filter(order__order_no=filters["order_no"].strip())
    if filters.get("amount_min") is not None:
        qs = qs.filter(total_with_tax__gte=filters["amount_min"])
    if filters.get("amount_max") is not None:
        qs = qs.filter(total_with_tax__lte=filters["amount_max"])
    if filters.get("store"):
        qs = qs.filter(store=filters["store"])
    if filters.get("coding") == "awaiting":
        qs = awaiting_code(qs)
    return qs.order_by(*SORT_FIELDS.get(filters.get("sort") or "-date", SORT_FIELDS["-date"]))


def _day_start(day, tz):
    return datetime.combine(day, time.min, tzinfo=tz)


def _line_condition(filters: dict) -> Q | None:
    """Which lines the rate and category filters ask for (None: no line filter)."""
    condition = None
    if filters.get("rate") not in (None, ""):
        condition = Q(rate=Decimal(filters["rate"]))
    if filters.get("category"):
        category = Q(tax_code__in=sorted(codes_by_short_name().get(filters["category"], ())))
        condition = category if condition is None else condition & category
    return condition


def invoice_list_totals(qs, *, filters: dict | None = None) -> dict:
    """Count and sums of the whole filtered list (every page); red invoices carry negative figures, so they net.

    With a rate or category filter, also the sums of the matching lines (``lines``): what the
    dashboard's tax per rate and category share count.
    """
    totals = qs.order_by().aggregate(count=Count("id"), amount=Sum("total_amount"), tax=Sum("total_tax"),
                                     with_tax=Sum("total_with_tax"))
    zero = Decimal("0.00")
    out = {"count": totals["count"], "amount": totals["amount"] or zero, "tax": totals["tax"] or zero,
           "with_tax": totals["with_tax"] or zero, "lines": None}
    condition = _line_condition(filters or {})
    if condition is not None:
        lines = InvoiceLine.objects.filter(condition, invoice__in=qs.order_by().values("pk")).aggregate(
            amount=Sum("amount"), tax=Sum("tax"))
        amount, tax = lines["amount"] or zero, lines["tax"] or zero
        out["lines"] = {"amount": amount, "tax": tax, "with_tax": amount + tax}
    return out


def invoices_chosen(*, user, ids) -> list[Invoice]:
    """The invoices a user ticked in the list, of those they may see (others are silently not there)."""
    return list(Invoice.objects.for_user(user).select_related("store", "company")
                .filter(pk__in=ids).order_by("created_at", "id"))


def awaiting_code(qs):
    """Draft invoices with a line that still has no tax code (waiting for a person to choose it)."""
    uncoded = InvoiceLine.objects.filter(invoice=OuterRef("pk"), tax_code="")
    return qs.filter(status=Invoice.Status.DRAFT).filter(Exists(uncoded))


def awaiting_code_count(*, user) -> int:
    return awaiting_code(Invoice.objects.for_user(user)).count()


def invoice_detail(*, user, invoice_id: int) -> Invoice:
    from django.shortcuts import get_object_or_404

    return get_object_or_404(
        Invoice.objects.for_user(user).select_related("store", "company", "order", "blue_invoice", "upload_batch")
        .with_reversal(),
        pk=invoice_id,
    )


def invoice_timeline(*, invoice: Invoice) -> list[InvoiceEvent]:
    return list(invoice.events.order_by("created_at", "id"))


def invoice_exchanges(*, user, invoice: Invoice, limit: int = 50):
    """The platform calls behind an invoice: those whose refs name its number(s) or its batch serial.

    The caller has already found ``invoice`` through ``Invoice.objects.for_user``: its calls are
    listed whatever their store (an upload of several stores' invoices has none). Each row's
    ``visible`` says whether the user may open the whole call (``Exchange.objects.for_user``): a
    store manager does not read a batch that carries other stores' buyers.
    """
    refs = [n for n in [invoice.number, *invoice.previous_numbers] if n]
    if invoice.upload_batch_id and invoice.upload_batch.acceptance_serial:
        refs.append(invoice.upload_batch.acceptance_serial)
    if not refs:
        return []
    condition = Q()
    for ref in refs:
        condition |= Q(refs__contains=[ref])
    rows = list(Exchange.objects.filter(company_id=invoice.company_id).filter(condition).order_by("created_at", "id")[:limit])
    visible = set(Exchange.objects.for_user(user).filter(pk__in=[row.pk for row in rows]).values_list("pk", flat=True))
    for row in rows:
        row.visible = row.pk in visible
    return rows


def invoice_deliveries(*, invoice: Invoice) -> list[DeliveryAttempt]:
    """Delivery attempts (e-mail/SMS tries) of the invoice, oldest first."""
    return list(DeliveryAttempt.objects.filter(invoice=invoice).order_by("created_at", "id")[:50])


def linked_invoices(*, user, invoice: Invoice) -> list[Invoice]:
    """Red invoices against this one, and the blue original of a red one (that the user may see)."""
    qs = Invoice.objects.for_user(user).with_reversal()
    linked = list(qs.filter(blue_invoice=invoice).order_by("created_at"))
    if invoice.blue_invoice_id:
        linked = list(qs.filter(pk=invoice.blue_invoice_id)) + linked
    return linked


def buyer_search(*, company, text: str, limit: int = 10) -> list[dict]:
    """Earlier buyers of the company (most recent first), for the issue form's lookup."""
    text = (text or "").strip()
    if len(text) < 1:
        return []
    fields = ("buyer_name", "buyer_tax_id", "buyer_is_person", "buyer_address", "buyer_phone", "buyer_bank_name",
              "buyer_bank_account", "buyer_email", "buyer_mobile")
    qs = (Invoice.objects.filter(company=company, kind=Invoice.Kind.BLUE)
          .filter(Q(buyer_name__icontains=text) | Q(buyer_tax_id__startswith=text.upper()))
          .exclude(buyer_name="").values(*fields).annotate(last=Max("created_at")).order_by("-last")[:limit * 3])
    seen, out = set(), []
    for row in qs:
        key = (row["buyer_name"], row["buyer_tax_id"])
        if key in seen:
            continue
        seen.add(key)
        out.append({name.removeprefix("buyer_"): row[name] for name in fields})
        if len(out) == limit:
            break
    return out
