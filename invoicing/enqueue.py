"""Putting jobs on queues without ever failing the caller's (already committed) work.

Redis being down must not lose an order: the order is in the database, and the periodic
sweeper (``invoicing.issuing.jobs.pipeline_sweep``) finds what was never enqueued. So every enqueue here
logs and swallows a Redis error instead of raising it.
"""

from __future__ import annotations

import logging
from datetime import timedelta

import django_rq
from django.conf import settings
from redis.exceptions import RedisError
from rq import Retry

logger = logging.getLogger(__name__)

DEFAULT_RETRY_INTERVALS = [10, 30, 60]


def get_queue(name: str):
    """The rq queue (a seam for tests that simulate Redis being down)."""
    return django_rq.get_queue(name)


def retry_policy() -> Retry:
    intervals = list(getattr(settings, "TAX_RETRY_INTERVALS", DEFAULT_RETRY_INTERVALS))
    return Retry(max=len(intervals), interval=intervals)


def enqueue(queue_name: str, func, *args, delay: float = 0, retry: bool = False, job_id: str | None = None,
            coalesce_key: str | None = None, coalesce_ttl: int = 60) -> bool:
    """Enqueue ``func(*args)``; False (logged) when Redis is unavailable.

    ``coalesce_key``: skip when a job with that key is already waiting (the job clears the key
    when it starts, see ``coalesce_release``), so a burst of orders enqueues a few jobs, not
    thousands.
    """
    try:
        queue = get_queue(queue_name)
        if coalesce_key and not queue.connection.set(_key(coalesce_key), "1", nx=True, ex=coalesce_ttl):
            return True
        kwargs = {"retry": retry_policy()} if retry else {}
        if job_id:
            kwargs["job_id"] = job_id
        if delay > 0:
            queue.enqueue_in(timedelta(seconds=delay), func, *args, **kwargs)
        else:
            queue.enqueue(func, *args, **kwargs)
        return True
    except (RedisError, OSError) as exc:
        logger.warning("enqueue of %s%r on %s failed, the sweeper will pick it up: %s",
                       getattr(func, "__name__", func), args, queue_name, exc)
        return False


def coalesce_release(queue_name: str, coalesce_key: str) -> None:
    try:
        get_queue(queue_name).connection.delete(_key(coalesce_key))
    except (RedisError, OSError) as exc:
        logger.warning("could not clear %s: %s", coalesce_key, exc)


def _key(name: str) -> str:
    return f"kaipiao:enqueued:{name}"
