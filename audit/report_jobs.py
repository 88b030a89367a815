"""Audit-report jobs: create (audited, enqueued on ``reports`` after commit), run with progress,
expire. The rq job ``audit_report_job(job_id)`` is a thin adapter and safe to run twice."""

from __future__ import annotations

import logging
import tempfile
from datetime import datetime, time, timedelta

import django_rq
from django.conf import settings
from django.core.files import File
from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from redis.exceptions import RedisError

from audit import labels
from audit.models import AuditEvent, ReportJob
from audit.reports import ReportHeader, ReportRow, StoreSection, render_audit_report
from audit.services import Actor, audit_record
from invoicing.documents.common import SHANGHAI
from invoicing.documents.fonts import MissingCJKFontError
from stores.models import Store

logger = logging.getLogger(__name__)

NO_STORE = "（公司级，无门店）"
REPORT_FAILED = "报告生成失败（系统内部错误，已记录日志）。请点击“重新生成”重试；仍失败时请缩小期间或门店范围，或联系系统管理员。"


def report_keep_days() -> int:
    return int(settings.REPORT_KEEP_DAYS)


def period_bounds(date_from, date_to) -> tuple[datetime, datetime]:
    return (datetime.combine(date_from, time.min, tzinfo=SHANGHAI),
            datetime.combine(date_to + timedelta(days=1), time.min, tzinfo=SHANGHAI))


def audit_events_for_report(*, company, date_from, date_to, store_ids=(), actions=()):
    start, end = period_bounds(date_from, date_to)
    qs = AuditEvent.objects.filter(company=company, created_at__gte=start, created_at__lt=end)
    if store_ids:
        qs = qs.filter(store_id__in=store_ids)
    if actions:
        qs = qs.filter(action__in=actions)
    return qs


def _rows(qs):
    for created_at, actor_type, actor, action, object_type, object_id, object_repr, before, after in qs.order_by(
        "created_at", "id"
    ).values_list("created_at", "actor_type", "actor_label", "action", "object_type", "object_id", "object_repr",
                  "before", "after").iterator(chunk_size=2000):
        yield ReportRow(created_at=f"{created_at.astimezone(SHANGHAI):%Y-%m-%d %H:%M:%S}",
                        actor=labels.actor_label(actor, actor_type), action=labels.action_label(action),
                        object=f"{labels.object_label(object_type)} {object_repr or object_id}",
                        change=labels.change_text(before, after, object_type))


def report_sections(*, company, date_from, date_to, store_ids=(), actions=()) -> list[StoreSection]:
    """One section per store with events (counts from one aggregate query; rows read lazily)."""
    qs = audit_events_for_report(company=company, date_from=date_from, date_to=date_to, store_ids=store_ids,
                                 actions=actions)
    counts: dict = {}
    for row in qs.values("store_id", "action").annotate(n=Count("id")):
        counts.setdefault(row["store_id"], {})[labels.action_label(row["action"])] = row["n"]
    stores = {s.pk: s for s in Store.objects.filter(pk__in=[k for k in counts if k is not None])}
    ordered = sorted(counts, key=lambda k: ("" if k is None else stores[k].code))
    return [
        StoreSection(label=NO_STORE if key is None else str(stores[key]), count=sum(counts[key].values()),
                     by_action=counts[key], rows=_rows(qs.filter(store__isnull=True) if key is None else qs.filter(store_id=key)))
        for key in ordered
    ]


@transaction.atomic
def report_job_create(*, user, company, date_from, date_to, store_ids=(), actions=()) -> ReportJob:
    job = ReportJob.objects.create(
        requested_by=user, company=company, kind="audit_pdf",
        params={"date_from": date_from.isoformat(), "date_to": date_to.isoformat(),
                "store_ids": sorted(store_ids), "actions": sorted(actions)},
        expires_at=timezone.now() + timedelta(days=report_keep_days()),
    )
    audit_record(actor=Actor.for_user(user), action="report.request", obj=job, company=company,
                 after={"kind": job.kind, **job.params})
    transaction.on_commit(lambda: _enqueue(job.pk))
    return job


@transaction.atomic
def report_job_retry(*, user, job_id: int) -> ReportJob | None:
    """Queue a failed report again (same job, same parameters). Only the click that moves it out
    of 失败 enqueues, so a double click or two tabs run it once; None when it was not failed."""
    moved = ReportJob.objects.filter(pk=job_id, status=ReportJob.Status.FAILED).update(
        status=ReportJob.Status.QUEUED, progress=0, error="", started_at=None, finished_at=None,
        expires_at=timezone.now() + timedelta(days=report_keep_days()))
    if not moved:
        return None
    job = ReportJob.objects.get(pk=job_id)
    audit_record(actor=Actor.for_user(user), action="report.retry", obj=job, company=job.company,
                 after={"kind": job.kind, **job.params})
    # A fresh rq id: the failed run's rq job may still sit in the finished registry.
    attempt = timezone.now().strftime("%Y%m%d%H%M%S%f")
    transaction.on_commit(lambda: _enqueue(job.pk, rq_id=f"audit-report-{job.pk}-{attempt}"))
    return job


def _enqueue(job_id: int, *, rq_id: str | None = None) -> None:
    try:
        django_rq.get_queue("reports").enqueue(audit_report_job, job_id, job_id=rq_id or f"audit-report-{job_id}")
    except (RedisError, OSError) as exc:
        logger.warning("report job %s not enqueued (Redis unavailable): %s", job_id, exc)
        ReportJob.objects.filter(pk=job_id).update(status=ReportJob.Status.FAILED,
                                                   error="任务队列不可用，请稍后重新生成。")


def audit_report_job(job_id: int) -> str:
    """rq job (queue ``reports``)."""
    return report_job_run(job_id=job_id)


def report_job_run(*, job_id: int) -> str:
    job = ReportJob.objects.select_related("company", "requested_by").get(pk=job_id)
    if job.status in (ReportJob.Status.DONE, ReportJob.Status.EXPIRED):
        return job.status
    ReportJob.objects.filter(pk=job.pk).update(status=ReportJob.Status.RUNNING, progress=1, started_at=timezone.now(),
                                               error="")
    p = job.params
    date_from, date_to = (datetime.fromisoformat(p["date_from"]).date(), datetime.fromisoformat(p["date_to"]).date())
    last = [0]

    def progress(done: int, total: int) -> None:
        # 1–95 while rendering; writes only when the percentage moves.
        value = 1 + int(94 * done / total) if total else 95
        if value != last[0]:
            last[0] = value
            ReportJob.objects.filter(pk=job.pk).update(progress=value)

    try:
        sections = report_sections(company=job.company, date_from=date_from, date_to=date_to,
                                   store_ids=p.get("store_ids") or (), actions=p.get("actions") or ())
        header = ReportHeader(company=job.company.name, date_from=date_from, date_to=date_to,
                              actions=[labels.action_label(a) for a in p.get("actions") or []],
                              generated_at=f"{timezone.now().astimezone(SHANGHAI):%Y-%m-%d %H:%M:%S}",
                              generated_by=job.requested_by.get_full_name() or job.requested_by.get_username())
        with tempfile.TemporaryFile() as out:
            result = render_audit_report(header=header, sections=sections, out=out, progress=progress)
            out.seek(0)
            job.file.save(f"audit-report-{job.pk}-{date_from:%Y%m%d}-{date_to:%Y%m%d}.pdf", File(out), save=False)
    except MissingCJKFontError as exc:
        return _fail(job, str(exc))
    except Exception:
        logger.exception("audit report %s failed", job.pk)
        # The exception's name means nothing to an accountant; the log has the traceback.
        return _fail(job, REPORT_FAILED)
    job.status, job.progress, job.pages, job.rows = ReportJob.Status.DONE, 100, result.pages, result.rows
    job.finished_at = timezone.now()
    job.save(update_fields=["status", "progress", "pages", "rows", "finished_at", "file"])
    return job.status


def _fail(job: ReportJob, message: str) -> str:
    ReportJob.objects.filter(pk=job.pk).update(status=ReportJob.Status.FAILED, error=message[:500],
                                               finished_at=timezone.now())
    return ReportJob.Status.FAILED


def report_jobs_expire() -> int:
    """Periodic: delete report files past their ``expires_at`` (reports are derived, the trail stays)."""
    expired = 0
    for job in ReportJob.objects.filter(expires_at__lt=timezone.now()).exclude(status=ReportJob.Status.EXPIRED):
        if job.file:
            job.file.delete(save=False)
        job.status = ReportJob.Status.EXPIRED
        job.save(update_fields=["status", "file"])
        expired += 1
    return expired
