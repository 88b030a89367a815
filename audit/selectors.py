"""Reads of the audit trail and the exchange log, always scoped to the user."""

from datetime import datetime, time, timedelta

from django.db.models import Q
from django.utils import timezone

from audit.labels import ACTIONS, SERVICES
from audit.models import AuditEvent, Exchange


def _day_bounds(qs, data):
    tz = timezone.get_current_timezone()
    if data.get("date_from"):
        qs = qs.filter(created_at__gte=datetime.combine(data["date_from"], time.min, tzinfo=tz))
    if data.get("date_to"):
        qs = qs.filter(created_at__lt=datetime.combine(data["date_to"] + timedelta(days=1), time.min, tzinfo=tz))
    return qs


def exchange_list(*, user, filters: dict):
    qs = Exchange.objects.for_user(user).select_related("company", "store")
    qs = _day_bounds(qs, filters)
    if filters.get("service"):
        text = filters["service"].strip()
        codes = [code for code, label in SERVICES.items() if text in label]
        qs = qs.filter(Q(service__iexact=text) | Q(service__in=codes))
    if filters.get("outcome"):
        qs = qs.filter(outcome=filters["outcome"])
    if filters.get("ref"):
        qs = qs.filter(refs__contains=[filters["ref"].strip()])
    return qs.order_by("-created_at", "-id")


def audit_event_list(*, user, filters: dict):
    qs = AuditEvent.objects.for_user(user).select_related("company", "store")
    qs = _day_bounds(qs, filters)
    if filters.get("action"):
        # People type the Chinese label (新增商品) or part of it; developers the code.
        text = filters["action"].strip()
        codes = [code for code, label in ACTIONS.items() if text in label]
        qs = qs.filter(Q(action__icontains=text) | Q(action__in=codes))
    if filters.get("actor"):
        qs = qs.filter(actor_label__icontains=filters["actor"].strip())
    if filters.get("object_id"):
        qs = qs.filter(object_id=filters["object_id"].strip())
    return qs.order_by("-created_at", "-id")
