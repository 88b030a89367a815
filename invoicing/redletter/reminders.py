"""作废提醒: the store manager is told, once per form, when under 24 h are left before the automatic void.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from invoicing.models import (
    RedLetterForm,
)
from invoicing.redletter.common import ACTOR, F_, REMIND_BEFORE, form_audit, form_snapshot
from invoicing.rules.amounts import fmt_money

logger = logging.getLogger(__name__)


def red_letter_reminders_send(*, now=None) -> int:
    """E-mail the store manager once per form waiting for the other side when under 24 h are left."""
    now = now or timezone.now()
    due = (RedLetterForm.objects.filter(state__in=F_.AWAITING_STATES, reminder_sent_at__isnull=True,
                                        expires_at__gt=now, expires_at__lte=now + REMIND_BEFORE)
           .values_list("id", flat=True))
    sent = 0
    for form_id in list(due):
        with transaction.atomic():
            form = (RedLetterForm.objects.select_for_update(of=("self",))
                    .select_related("company", "store", "blue_invoice")
                    .filter(pk=form_id, reminder_sent_at__isnull=True).first())
            if form is None:
                continue
            before = form_snapshot(form)
            form.reminder_sent_at = now
            form.save(update_fields=["reminder_sent_at", "updated_at"])
            form_audit(form, actor=ACTOR, action="red_form.reminder", before=before)
            if form.store.manager_email:
                subject, body = _reminder_text(form, now=now)
                recipient = form.store.manager_email
                transaction.on_commit(lambda s=subject, b=body, r=recipient: _mail(s, b, r))
                sent += 1
    return sent


def _reminder_text(form: RedLetterForm, *, now) -> tuple[str, str]:
    left = form.expires_at - now
    hours, minutes = int(left.total_seconds()) // 3600, int(left.total_seconds()) % 3600 // 60
    waiting_for = "购方确认" if form.state == F_.State.AWAITING_BUYER else "本方（销方）确认或否认"
    subject = f"红字确认单 {form.number} 将在 {hours} 小时后自动作废"
    body = (f"{form.store.name}：\n\n红字确认单 {form.number}（蓝字发票 {form.blue_invoice.number}，"
            f"红冲金额 {fmt_money(form.amount)}，税额 {fmt_money(form.tax)}）正在等待{waiting_for}，"
            f"剩余 {hours} 小时 {minutes} 分钟。超过72小时未确认，税务平台将自动作废该确认单（07），"
            "届时需要重新申请。\n\n请登录开票系统的“红字确认单”页面处理。")
    return subject, body


def _mail(subject: str, body: str, recipient: str) -> None:
    try:
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [recipient])
    except Exception:  # noqa: BLE001 - a mail server hiccup must not undo the reminder flag; logged
        logger.exception("red-letter reminder to %s failed", recipient)
