"""RQ jobs of the integrations (queue ``delivery``): thin adapters, safe to run twice."""

from __future__ import annotations

from django.db import close_old_connections

from invoicing.integrations import webhooks


def webhook_deliver(delivery_id: int) -> None:
    """One webhook delivery; raises on failure so that rq retries it."""
    close_old_connections()
    webhooks.webhook_deliver(delivery_id=delivery_id)
