"""Putting delivery jobs on the ``delivery`` queue, retried with rq.Retry.

A Redis error is logged and swallowed: the invoice is issued and stored; ``delivery_sweep``
(periodic) plans automatic deliveries that never got a job.
"""

from __future__ import annotations

import logging

import django_rq
from django.conf import settings
from redis.exceptions import RedisError
from rq import Retry

logger = logging.getLogger(__name__)

QUEUE = "delivery"
DEFAULT_RETRY_INTERVALS = [10, 30, 60]


def retry_policy() -> Retry:
    intervals = list(getattr(settings, "DELIVERY_RETRY_INTERVALS", DEFAULT_RETRY_INTERVALS))
    return Retry(max=len(intervals), interval=intervals)


def _enqueue(func, *args, job_id: str | None = None, description: str | None = None) -> bool:
    try:
        kwargs = {"retry": retry_policy()}
        if description:
            # rq logs a job's description, which by default repeats its arguments (a receiver's
            # phone number or e-mail); ours names the request and the masked receiver instead.
            kwargs["description"] = description
        if job_id:
            kwargs["job_id"] = job_id
        django_rq.get_queue(QUEUE).enqueue(func, *args, **kwargs)
        return True
    except (RedisError, OSError) as exc:
        logger.warning("enqueue of %s%r failed, delivery_sweep will retry: %s", func.__name__, args[:2], exc)
        return False


def delivery_auto(invoice_id: int) -> bool:
    from invoicing.delivery import jobs

    return _enqueue(jobs.delivery_auto, invoice_id)


def delivery_send(request_id: str, invoice_id: int, channel: str, target: str, trigger: str, actor_label: str) -> bool:
    from invoicing.delivery import jobs
    from invoicing.delivery.masking import mask_target

    return _enqueue(jobs.delivery_send, request_id, invoice_id, channel, target, str(trigger), actor_label,
                    job_id=f"delivery-{request_id}",
                    description=f"delivery_send invoice={invoice_id} {channel} {mask_target(channel, target)} ({request_id})")
