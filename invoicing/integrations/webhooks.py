"""Webhooks: invoice status changes pushed to the store's endpoints, signed and retried.

Signature: ``X-Kaipiao-Signature`` = hex HMAC-SHA256 over ``timestamp + "\\n" + body`` keyed with
the endpoint's secret; ``X-Kaipiao-Timestamp`` in seconds (docs/api.md, "Webhooks").
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
import time

import requests
from django.db import transaction
from django.utils import timezone

from audit.services import Actor, audit_record
from invoicing.concurrency import create_once
from invoicing.enqueue import enqueue
from invoicing.integrations.serialize import invoice_public
from invoicing.models import Invoice, WebhookDelivery, WebhookEndpoint
from stores.credentials import decrypt_secret, encrypt_secret

logger = logging.getLogger(__name__)

EVENTS = {"issued": "invoice.issued", "failed": "invoice.failed", "cancelled": "invoice.cancelled"}


def _bound(endpoint_id_hint: str) -> str:
    return f"webhook:{endpoint_id_hint}"


def webhook_create(*, store, actor: Actor, url: str, submission_key: str | None = None) -> tuple[WebhookEndpoint, str]:
    """Register an endpoint; returns it with its signing secret (shown once).

    A submission key used before gives back that endpoint with an empty secret: a double click must
    not register the URL twice (every status change would be pushed twice).
    """
    made: dict[str, str] = {}

    @transaction.atomic
    def create() -> WebhookEndpoint:
        secret = secrets.token_hex(32)
        endpoint = WebhookEndpoint.objects.create(store=store, url=url, secret_encrypted=b"",
                                                  submission_key=submission_key)
        endpoint.secret_encrypted = encrypt_secret(secret, bound_to=_bound(str(endpoint.pk)))
        endpoint.save(update_fields=["secret_encrypted"])
        audit_record(actor=actor, action="webhook.create", obj=endpoint, company=store.company, store=store,
                     after={"url": url})
        made["secret"] = secret
        return endpoint

    endpoint, created = create_once(
        key=submission_key, create=create, constraint="webhook_submission_once",
        find=lambda: WebhookEndpoint.objects.filter(store=store, submission_key=submission_key).first())
    return endpoint, made["secret"] if created else ""


@transaction.atomic
def webhook_deactivate(*, endpoint: WebhookEndpoint, actor: Actor) -> None:
    endpoint.active = False
    endpoint.save(update_fields=["active"])
    audit_record(actor=actor, action="webhook.deactivate", obj=endpoint, company=endpoint.store.company,
                 store=endpoint.store, after={"active": False})


def webhooks_queue_for_invoices(invoices: list[Invoice]) -> None:
    """Create delivery rows for status changes (in the caller's transaction), send after commit."""
    if not invoices:
        return
    store_ids = {invoice.store_id for invoice in invoices}
    endpoints = list(WebhookEndpoint.objects.filter(store_id__in=store_ids, active=True))
    if not endpoints:
        return
    by_store: dict[int, list[WebhookEndpoint]] = {}
    for endpoint in endpoints:
        by_store.setdefault(endpoint.store_id, []).append(endpoint)
    deliveries = []
    for invoice in invoices:
        for endpoint in by_store.get(invoice.store_id, []):
            payload = {"event": EVENTS[invoice.status], "invoice": invoice_public(invoice, with_lines=False),
                       "order_no": invoice.order.order_no if invoice.order_id else None}
            deliveries.append(WebhookDelivery(endpoint=endpoint, event=payload["event"], payload=payload))
    WebhookDelivery.objects.bulk_create(deliveries)
    ids = [d.pk for d in deliveries]

    def send():
        for delivery_id in ids:
            enqueue("delivery", "invoicing.integrations.jobs.webhook_deliver", delivery_id, retry=True)

    transaction.on_commit(send)


def sign(secret: str, timestamp: str, body: bytes) -> str:
    return hmac.new(secret.encode(), timestamp.encode() + b"\n" + body, hashlib.sha256).hexdigest()


class WebhookFailed(Exception):
    pass


def webhook_deliver(*, delivery_id: int) -> None:
    """POST one delivery; raises WebhookFailed (so rq retries) unless the endpoint answered 2xx."""
    delivery = WebhookDelivery.objects.select_related("endpoint").get(pk=delivery_id)
    if delivery.status == WebhookDelivery.Status.DELIVERED:
        return
    endpoint = delivery.endpoint
    secret = decrypt_secret(endpoint.secret_encrypted, bound_to=_bound(str(endpoint.pk)))
    body = json.dumps(delivery.payload, ensure_ascii=False, separators=(",", ":")).encode()
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "X-Kaipiao-Event": delivery.event,
        "X-Kaipiao-Delivery": str(delivery.pk),
        "X-Kaipiao-Timestamp": timestamp,
        "X-Kaipiao-Signature": sign(secret, timestamp, body),
    }
    error = ""
    try:
        response = requests.post(endpoint.url, data=body, headers=headers, timeout=(5, 10))
        if not 200 <= response.status_code < 300:
            error = f"HTTP {response.status_code}"
    except requests.RequestException as exc:
        error = str(exc)[:300]
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        attempts=delivery.attempts + 1,
        status=WebhookDelivery.Status.FAILED if error else WebhookDelivery.Status.DELIVERED,
        last_error=error, delivered_at=None if error else timezone.now(),
    )
    if error:
        raise WebhookFailed(f"webhook delivery {delivery.pk} to {endpoint.url} failed: {error}")
