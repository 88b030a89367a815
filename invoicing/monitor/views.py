"""任务监控 (HQ): the queues in Chinese, failed jobs with a retry button, a link to the RQ dashboard."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from redis.exceptions import RedisError

from audit.services import Actor
from invoicing.monitor import selectors, services
from invoicing.monitor.labels import job_label
from stores.access import access_for


@login_required
@require_GET
def job_monitor(request):
    access = access_for(request)
    access.require("jobs.monitor")
    try:
        queues, unavailable = selectors.job_monitor(access=access), False
    except (RedisError, OSError):
        queues, unavailable = [], True
    return render(request, "invoicing/job_monitor.html", {
        "queues": queues, "states": selectors.STATES, "unavailable": unavailable, "scan_limit": selectors.SCAN_LIMIT,
        "failed_count": sum(len(q.failed) for q in queues),
    })


@login_required
@require_POST
def job_retry(request, queue_name: str, job_id: str):
    access = access_for(request)
    access.require("jobs.monitor")
    try:
        job = selectors.failed_job_for(access=access, queue_name=queue_name, job_id=job_id)
    except (RedisError, OSError):
        messages.error(request, _("暂时无法连接任务队列，请稍后再试。"))
        return redirect("monitor:job_monitor")
    # None: retried already (a double-click, a colleague) or not this company's job — nothing runs again.
    retried = job is not None and services.failed_job_retry(job=job, queue_name=queue_name,
                                                            actor=Actor.for_user(request.user))
    if retried:
        messages.success(request, _("已重新排队：%(label)s") % {"label": job_label(job.func_name or "")})
    else:
        messages.info(request, _("该任务已不在失败列表中（可能已重试），未重复执行。"))
    return redirect("monitor:job_monitor")
