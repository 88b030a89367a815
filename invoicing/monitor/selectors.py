"""What the job queues hold, read from Redis and shown only for the user's own company."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from rq.job import Job
from rq.registry import FailedJobRegistry, ScheduledJobRegistry, StartedJobRegistry
from rq.results import Result

from invoicing.enqueue import get_queue
from invoicing.monitor.labels import job_company_id, job_label
from stores.access import Access
from stores.roles import HQ_ROLES

QUEUES = [("tax", "开票与红冲"), ("delivery", "交付"), ("reports", "审计报告"), ("default", "其他")]
STATES = [("queued", "排队中"), ("scheduled", "等待重试/定时"), ("running", "执行中"), ("failed", "失败")]
SCAN_LIMIT = 500  # newest jobs looked at per queue and state: the page is a monitor, not an archive


@dataclass
class JobRow:
    id: str
    queue: str
    state: str
    label: str
    when: datetime | None
    reason: str = ""


@dataclass
class QueueSummary:
    name: str
    label: str
    counts: dict[str, int] = field(default_factory=dict)
    failed: list[JobRow] = field(default_factory=list)
    more: bool = False  # a state held more than SCAN_LIMIT jobs: the counts are of the newest


def job_visible_to(access: Access):
    """A job is shown to operators (superusers) always, to HQ users when it works for their company."""
    if access.user.is_superuser:
        return lambda company_id: True
    companies = {m.company_id for m in access.memberships if m.role in HQ_ROLES}
    return lambda company_id: company_id is not None and company_id in companies


def _ids(queue, state: str) -> list[str]:
    if state == "queued":
        return queue.get_job_ids(0, SCAN_LIMIT)
    registry = {"scheduled": ScheduledJobRegistry, "running": StartedJobRegistry, "failed": FailedJobRegistry}[state]
    return registry(queue=queue).get_job_ids(0, SCAN_LIMIT - 1, desc=True)


def failure_reason(job: Job) -> str:
    """The exception's message (the services' messages are Chinese sentences), without the traceback."""
    result = job.latest_result()
    text = (result.exc_string or "") if result is not None and result.type == Result.Type.FAILED else ""
    last = next((line for line in reversed(text.strip().splitlines()) if line.strip()), "")
    return last.split(": ", 1)[-1][:300]


def job_monitor(*, access: Access) -> list[QueueSummary]:
    """Per queue: how many jobs are queued, scheduled, running and failed, and the failed ones to retry."""
    visible = job_visible_to(access)
    summaries = []
    for name, label in QUEUES:
        queue = get_queue(name)
        summary = QueueSummary(name=name, label=label)
        for state, _state_label in STATES:
            ids = _ids(queue, state)
            summary.more = summary.more or len(ids) > SCAN_LIMIT
            jobs = [job for job in Job.fetch_many(ids[:SCAN_LIMIT], connection=queue.connection) if job is not None]
            jobs = [job for job in jobs if visible(job_company_id(job.func_name or "", job.args or ()))]
            summary.counts[state] = len(jobs)
            if state == "failed":
                summary.failed = [JobRow(id=job.id, queue=name, state=state, label=job_label(job.func_name or ""),
                                         when=job.ended_at or job.enqueued_at, reason=failure_reason(job))
                                  for job in jobs[:50]]
        summaries.append(summary)
    return summaries


def failed_job_for(*, access: Access, queue_name: str, job_id: str) -> Job | None:
    """The failed job of that queue if the user may see it (another company's job is not there for them)."""
    if queue_name not in dict(QUEUES):
        return None
    queue = get_queue(queue_name)
    if job_id not in FailedJobRegistry(queue=queue):
        return None
    job = Job.fetch_many([job_id], connection=queue.connection)[0]
    if job is None or not job_visible_to(access)(job_company_id(job.func_name or "", job.args or ())):
        return None
    return job
