"""Retry of a failed background job: exactly once, however often the button is pressed."""

from __future__ import annotations

from django.db import transaction
from rq.exceptions import InvalidJobOperation
from rq.registry import FailedJobRegistry

from audit.services import Actor, audit_record
from invoicing.enqueue import get_queue
from invoicing.monitor.labels import job_company_id, job_label
from stores.models import Company


def failed_job_retry(*, job, queue_name: str, actor: Actor) -> bool:
    """Put a failed job back on its queue; False when it is no longer failed (retried already, a double-click).

    The registry's ZREM decides: of two presses at once only one removes the job and re-enqueues it.
    The job itself is safe to run twice (jobs load by id and check state), so a retry never duplicates work.
    """
    try:
        FailedJobRegistry(queue=get_queue(queue_name)).requeue(job)
    except InvalidJobOperation:
        return False
    company = Company.objects.filter(pk=job_company_id(job.func_name or "", job.args or ())).first()
    with transaction.atomic():
        audit_record(actor=actor, action="job.retry", company=company, object_type="rq.job", object_id=job.id,
                     object_repr=job_label(job.func_name or ""), after={"queue": queue_name, "job": job.func_name})
    return True
