"""Delivering issued invoices: plan the sends (audited), then one job per channel and receiver
sends, records each try (DeliveryAttempt) and marks the invoice 已交付 on the first success.

Entry points:

- ``delivery_enqueue_for_issued(invoice_id)`` — the pipeline calls it when an invoice becomes
  issued; renders the files and sends through the default channels on the ``delivery`` queue.
- ``invoice_deliver(invoice=…, channels=…, actor=…)`` / ``invoice_resend(…)`` — the invoice page.
"""

from __future__ import annotations

import logging
import re
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from audit.services import Actor, audit_record
from invoicing.dashboard.stats import StatsDelta
from invoicing.delivery.masking import mask_target
from invoicing.delivery.sms import get_sms_backend
from invoicing.documents.common import invoice_title
from invoicing.documents.links import invoice_download_url, link_max_age
from invoicing.documents.services import invoice_files_ensure
from invoicing.enqueue import enqueue
from invoicing.models import DeliveryAttempt, Invoice, InvoiceDelivery, StoreDeliveryDefaults
from invoicing.rules.amounts import fmt_money

logger = logging.getLogger(__name__)

CHANNELS = (DeliveryAttempt.Channel.EMAIL, DeliveryAttempt.Channel.SMS)
DEFAULT_CHANNELS = ["email", "sms"]
MOBILE_RE = re.compile(r"^1\d{10}$")
JOB_ACTOR = Actor.job("delivery")


class DeliveryError(ValueError):
    """A delivery the user asked for cannot be made; the message says what to fix."""


@dataclass(frozen=True)
class PlannedSend:
    request_id: str
    channel: str
    target: str
    masked_target: str


def _store_defaults(invoice: Invoice) -> StoreDeliveryDefaults | None:
    return StoreDeliveryDefaults.objects.filter(store_id=invoice.store_id).first()


def delivery_targets(*, invoice: Invoice, channels=None, email: str = "", mobile: str = "") -> list[tuple[str, str]]:
    """(channel, receiver) pairs: explicit receivers, else the invoice's (from the order), else the store's defaults."""
    defaults = _store_defaults(invoice)
    if channels is None:
        channels = (defaults.channels if defaults and defaults.channels else None) or DEFAULT_CHANNELS
    unknown = [c for c in channels if c not in CHANNELS]
    if unknown:
        raise DeliveryError(f"不支持的交付渠道：{'、'.join(unknown)}（可选：email 邮件、sms 短信）")
    order = invoice.order if invoice.order_id else None
    email = (email or invoice.buyer_email or (order.buyer_email if order else "")
             or (defaults.fallback_email if defaults else "")).strip()
    mobile = (mobile or invoice.buyer_mobile or (order.buyer_mobile if order else "")
              or (defaults.fallback_mobile if defaults else "")).strip()
    targets = []
    for channel in dict.fromkeys(channels):
        target = email if channel == "email" else mobile
        if target:
            targets.append((channel, target))
    return targets


def _validate_receivers(targets) -> None:
    for channel, target in targets:
        if channel == "email":
            try:
                validate_email(target)
            except ValidationError:
                raise DeliveryError(f"邮箱地址格式不正确：{target}") from None
        elif not MOBILE_RE.match(target):
            raise DeliveryError(f"手机号应为以 1 开头的 11 位数字：{target}")


@transaction.atomic
def invoice_deliver(*, invoice: Invoice, actor: Actor, channels=None, email: str = "", mobile: str = "",
                    trigger: str = DeliveryAttempt.Trigger.MANUAL) -> list[PlannedSend]:
    """Plan and enqueue the sends of an issued invoice (audited); the jobs run after commit."""
    invoice = Invoice.objects.select_related("order").get(pk=invoice.pk)
    if invoice.status != Invoice.Status.ISSUED:
        raise DeliveryError(f"只有已开具的发票可以发送，发票 {invoice} 当前状态为「{invoice.get_status_display()}」")
    targets = delivery_targets(invoice=invoice, channels=channels, email=email, mobile=mobile)
    _validate_receivers(targets)
    if not targets:
        if trigger == DeliveryAttempt.Trigger.AUTO:
            return []
        raise DeliveryError("没有接收方：购方未留邮箱或手机号，门店也未设置默认接收方。请填写邮箱或手机号后再发送。")
    plan = [PlannedSend(str(uuid.uuid4()), channel, target, mask_target(channel, target)) for channel, target in targets]
    audit_record(actor=actor, action=f"invoice.{'resend' if trigger == DeliveryAttempt.Trigger.RESEND else 'deliver'}",
                 obj=invoice, company=invoice.company, store=invoice.store,
                 after={"trigger": trigger, "sends": [{"channel": p.channel, "target": p.masked_target} for p in plan]})
    for send in plan:
        transaction.on_commit(lambda send=send: _enqueue_send(send, invoice_id=invoice.pk, trigger=trigger,
                                                              actor_label=actor.label))
    return plan


def invoice_resend(*, invoice: Invoice, actor: Actor, channels=None, email: str = "", mobile: str = "") -> list[PlannedSend]:
    """Send again (to the same or to newly given receivers); the invoice page's 重发 button."""
    return invoice_deliver(invoice=invoice, actor=actor, channels=channels, email=email, mobile=mobile,
                           trigger=DeliveryAttempt.Trigger.RESEND)


def delivery_enqueue_for_issued(invoice_id: int) -> None:
    """Called by the pipeline when an invoice became issued: render and deliver in the background.

    Enqueues after the caller's transaction commits (at once outside one); never raises when
    Redis is down — ``delivery_sweep`` finds the invoice later.
    """
    transaction.on_commit(lambda: _enqueue_auto(invoice_id))


def invoice_deliver_auto(*, invoice_id: int) -> list[PlannedSend]:
    """The job behind delivery_enqueue_for_issued: files first, then the default channels, once.

    An invoice with nobody to send to (no e-mail or mobile on it, its order or the store's
    defaults — a walk-in buyer) is marked done without rendering: its files are rendered when
    someone first downloads them, so a busy store does not spend a PDF render per receipt.
    """
    invoice = Invoice.objects.select_related("order").get(pk=invoice_id)
    if invoice.status != Invoice.Status.ISSUED:
        logger.info("invoice %s is %s, nothing to deliver", invoice_id, invoice.status)
        return []
    if not delivery_targets(invoice=invoice):
        with transaction.atomic():
            state, _ = InvoiceDelivery.objects.get_or_create(invoice=invoice)
            InvoiceDelivery.objects.filter(pk=state.pk, auto_requested_at__isnull=True).update(
                auto_requested_at=timezone.now(), updated_at=timezone.now())
        return []
    invoice_files_ensure(invoice=invoice)
    with transaction.atomic():
        state, _ = InvoiceDelivery.objects.get_or_create(invoice=invoice)
        state = InvoiceDelivery.objects.select_for_update().get(pk=state.pk)
        if state.auto_requested_at:
            return []
        state.auto_requested_at = timezone.now()
        state.save(update_fields=["auto_requested_at", "updated_at"])
        return invoice_deliver(invoice=invoice, actor=JOB_ACTOR, trigger=DeliveryAttempt.Trigger.AUTO)


def delivery_sweep(*, days: int = 3) -> int:
    """Periodic: issued invoices of the last ``days`` whose automatic delivery was never planned."""
    if not settings.INVOICE_AUTO_DELIVERY:
        return 0
    since = timezone.now() - timezone.timedelta(days=days)
    ids = list(Invoice.objects.filter(status=Invoice.Status.ISSUED, confirmed_at__gte=since)
               .exclude(delivery__auto_requested_at__isnull=False).values_list("pk", flat=True)[:1000])
    for invoice_id in ids:
        _enqueue_auto(invoice_id)
    return len(ids)


def _enqueue_auto(invoice_id: int) -> bool:
    return enqueue("delivery", "invoicing.delivery.jobs.delivery_auto", invoice_id,
                   retry=settings.DELIVERY_RETRY_INTERVALS)


def _enqueue_send(send: PlannedSend, *, invoice_id: int, trigger: str, actor_label: str) -> bool:
    # rq logs a job's description, which by default repeats its arguments (a receiver's phone
    # number or e-mail); ours names the request and the masked receiver instead.
    return enqueue("delivery", "invoicing.delivery.jobs.delivery_send", send.request_id, invoice_id, send.channel,
                   send.target, str(trigger), actor_label, retry=settings.DELIVERY_RETRY_INTERVALS,
                   job_id=f"delivery-{send.request_id}",
                   description=f"delivery_send invoice={invoice_id} {send.channel} {send.masked_target} "
                               f"({send.request_id})")


# --- sending --------------------------------------------------------------------------------


def _email_message(invoice: Invoice, to: str, files) -> EmailMessage:
    seller = (invoice.seller or {}).get("name", "")
    days = link_max_age().days
    body = (
        f"您好：\n\n{seller}为您开具的{invoice_title(invoice)}已开具。\n"
        f"发票号码：{invoice.number}\n价税合计：¥{fmt_money(invoice.total_with_tax)}\n\n"
        f"PDF 与 XML 文件见附件；也可在 {days} 天内通过以下链接下载：\n{invoice_download_url(invoice)}\n\n"
        "此邮件由系统自动发送，请勿直接回复。"
    )
    message = EmailMessage(subject=f"电子发票 {invoice.number}（{seller}）", body=body,
                           from_email=settings.DEFAULT_FROM_EMAIL, to=[to])
    for kind, mimetype in (("pdf", "application/pdf"), ("xml", "application/xml")):
        with files[kind].file.open("rb") as handle:
            message.attach(f"{invoice.number}.{kind}", handle.read(), mimetype)
    return message


def _sms_text(invoice: Invoice) -> str:
    seller = (invoice.seller or {}).get("name", "")
    return (f"【{seller}】您的电子发票 {invoice.number} 已开具，价税合计¥{fmt_money(invoice.total_with_tax)}。"
            f"下载（{link_max_age().days}天内有效）：{invoice_download_url(invoice)}")


def _send(invoice: Invoice, channel: str, target: str) -> None:
    if channel == "email":
        files = invoice_files_ensure(invoice=invoice)
        _email_message(invoice, target, files).send(fail_silently=False)
    else:
        get_sms_backend().send(mobile=target, message=_sms_text(invoice))


def delivery_send_run(*, request_id: str, invoice_id: int, channel: str, target: str,
                      trigger: str = DeliveryAttempt.Trigger.AUTO, actor_label: str = "") -> str:
    """Send once and record the try; raises on failure so that the job is retried.

    Safe to run twice: a request that already succeeded is not sent again.
    """
    if DeliveryAttempt.objects.filter(request_id=request_id, status=DeliveryAttempt.Status.SENT).exists():
        return "already sent"
    invoice = Invoice.objects.select_related("company", "store").get(pk=invoice_id)
    masked = mask_target(channel, target)
    try_no = DeliveryAttempt.objects.filter(request_id=request_id).count() + 1
    try:
        _send(invoice, channel, target)
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"[:500]
        logger.warning("delivery %s of invoice %s by %s to %s failed (try %s): %s",
                       request_id, invoice_id, channel, masked, try_no, error)
        _record(invoice, request_id=request_id, channel=channel, masked=masked, try_no=try_no, trigger=trigger,
                actor_label=actor_label, error=error)
        raise
    _record(invoice, request_id=request_id, channel=channel, masked=masked, try_no=try_no, trigger=trigger,
            actor_label=actor_label, error="")
    return "sent"


@transaction.atomic
def _record(invoice: Invoice, *, request_id, channel, masked, try_no, trigger, actor_label, error: str) -> None:
    now = timezone.now()
    sent = not error
    DeliveryAttempt.objects.create(
        invoice=invoice, request_id=request_id, channel=channel, target=masked, try_no=try_no, trigger=trigger,
        actor_label=actor_label[:150], status=DeliveryAttempt.Status.SENT if sent else DeliveryAttempt.Status.FAILED,
        error=error, created_at=now,
    )
    state, _ = InvoiceDelivery.objects.get_or_create(invoice=invoice)
    state = InvoiceDelivery.objects.select_for_update().get(pk=state.pk)
    before = {"delivered_at": state.delivered_at, "delivery_channel": state.delivery_channel}
    if sent:
        first = state.first_delivered_at is None
        state.delivered_at, state.delivery_channel, state.last_error = now, channel, ""
        if first:
            state.first_delivered_at = now
            # The dashboard's 已送达 is the share of the blue invoices issued that day that reached the
            # buyer: invoices, not messages (only the first success counts), blue only (a red
            # invoice's delivery would count against no issued one: 200%), on the issue day (a
            # delivery after midnight would count against the next day's invoices).
            if invoice.kind == Invoice.Kind.BLUE:
                stats = StatsDelta()
                stats.add(store_id=invoice.store_id, company_id=invoice.company_id,
                          moment=invoice.confirmed_at or now, delivered_count=1)
                stats.write()
    else:
        state.last_error = error
    state.save()
    audit_record(actor=JOB_ACTOR, action="invoice.delivered" if sent else "invoice.delivery_failed", obj=invoice,
                 company=invoice.company, store=invoice.store, before=before,
                 after={"channel": channel, "target": masked, "try": try_no, "error": error,
                        "delivered_at": state.delivered_at, "delivery_channel": state.delivery_channel})


@transaction.atomic
def store_delivery_defaults_set(*, store, actor, channels: list[str], fallback_email: str = "",
                                fallback_mobile: str = "") -> StoreDeliveryDefaults:
    """Set which channels a store's invoices go out by, and where when the buyer left nothing."""
    errors = {}
    unknown = [c for c in channels if c not in CHANNELS]
    if unknown:
        errors["channels"] = f"未知的交付渠道：{'、'.join(unknown)}（可选 email、sms）"
    if fallback_email:
        try:
            validate_email(fallback_email)
        except ValidationError:
            errors["fallback_email"] = "邮箱格式不正确"
    if fallback_mobile and not MOBILE_RE.match(fallback_mobile):
        errors["fallback_mobile"] = "手机号应为11位数字，以1开头"
    if errors:
        raise ValidationError(errors)
    defaults, _ = StoreDeliveryDefaults.objects.select_for_update().get_or_create(store=store)
    before = {"channels": defaults.channels, "fallback_email": defaults.fallback_email,
              "fallback_mobile": mask_target("sms", defaults.fallback_mobile) if defaults.fallback_mobile else ""}
    defaults.channels, defaults.fallback_email, defaults.fallback_mobile = list(channels), fallback_email, fallback_mobile
    defaults.save()
    audit_record(actor=actor, action="store.delivery_defaults_set", obj=defaults, company=store.company, store=store,
                 before=before, after={"channels": defaults.channels, "fallback_email": fallback_email,
                                       "fallback_mobile": mask_target("sms", fallback_mobile) if fallback_mobile else ""})
    return defaults
