"""Putting jobs on queues, by dotted path, without ever failing the caller's (committed) work.

Jobs are named by their dotted path (``"invoicing.issuing.jobs.company_batch"``), never imported
here: a service that schedules a job must not import the jobs module that imports the service,
and this module imports no service at all (docs/architecture.md; an import contract checks it).

Redis being down must not lose anything: what was to be done is in the database, and the
periodic sweepers (``pipeline_sweep``, ``delivery_sweep``, ``refunds_reverse_pending``) find what
was never enqueued. So every enqueue logs and swallows a Redis error instead of raising it.
"""

from __future__ import annotations

import logging
from datetime import timedelta

import django_rq
from django.conf import settings
from redis.exceptions import RedisError
from rq import Retry

logger = logging.getLogger(__name__)


def get_queue(name: str):
    """The rq queue (a seam for tests that simulate Redis being down)."""
    return django_rq.get_queue(name)


def retry_policy(intervals: list[int] | None = None) -> Retry:
    """rq's retry with the configured intervals (``TAX_RETRY_INTERVALS``: 10, 30, 60 s)."""
    intervals = list(settings.TAX_RETRY_INTERVALS if intervals is None else intervals)
    return Retry(max=len(intervals), interval=intervals)


def enqueue(queue_name: str, job: str, *args, delay: float = 0, retry: bool | list[int] = False,
            job_id: str | None = None, description: str | None = None, coalesce_key: str | None = None,
            coalesce_ttl: int = 60) -> bool:
    """Enqueue the job at dotted path ``job`` with ``args``; False (logged) when Redis is unavailable.

    ``retry``: True for the tax intervals, or a list of intervals of the caller's own.
    ``coalesce_key``: skip when a job with that key is already waiting (the job clears the key
    when it starts, see ``coalesce_release``), so a burst of orders enqueues a few jobs, not
    thousands. ``description``: what rq logs instead of the arguments (which may hold a
    receiver's phone number or e-mail).
    """
    try:
        queue = get_queue(queue_name)
        if coalesce_key and not queue.connection.set(_key(coalesce_key), "1", nx=True, ex=coalesce_ttl):
            return True
        kwargs = {}
        if retry:
            kwargs["retry"] = retry_policy(None if retry is True else retry)
        if job_id:
            kwargs["job_id"] = job_id
        if description:
            kwargs["description"] = description
        if delay > 0:
            queue.enqueue_in(timedelta(seconds=delay), job, *args, **kwargs)
        else:
            queue.enqueue(job, *args, **kwargs)
        return True
    except (RedisError, OSError) as exc:
        logger.warning("enqueue of %s on %s failed, a sweeper will pick it up: %s",
                       description or f"{job}{args!r}", queue_name, exc)
        return False


def coalesce_release(queue_name: str, coalesce_key: str) -> None:
    try:
        get_queue(queue_name).connection.delete(_key(coalesce_key))
    except (RedisError, OSError) as exc:
        logger.warning("could not clear %s: %s", coalesce_key, exc)


def _key(name: str) -> str:
    return f"kaipiao:enqueued:{name}"
