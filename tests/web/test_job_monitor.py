"""Issue 14 item 21: 任务监控 — the queues in Chinese for HQ, only their company's jobs, retry exactly once.

Real Redis (the tests' own database). A failed job is recorded the way rq's worker records one
(a failure result, the failed registry, the status), for jobs of the product's own dotted paths.
"""

from __future__ import annotations

import re
import threading

import django_rq
import pytest
from django.db import close_old_connections
from django.test import Client
from rq import Queue
from rq.job import JobStatus
from rq.registry import FailedJobRegistry
from rq.results import Result

from audit.models import AuditEvent
from invoicing.models import BatchReversal

pytestmark = pytest.mark.django_db(databases="__all__")

BATCH_JOB = "invoicing.redletter.jobs.batch_reversal_run"


def rq_queue(name: str) -> Queue:
    # rq's own Queue on the same Redis: django_rq's defers an enqueue inside a transaction to its commit.
    return Queue(name, connection=django_rq.get_connection(name))


def fail_job(queue_name: str, func: str, *args, reason: str = "税务平台暂时不可用，请稍后重试"):
    queue = rq_queue(queue_name)
    job = queue.enqueue(func, *args)
    queue.remove(job.id)
    traceback = f"Traceback (most recent call last):\n  File \"x.py\", line 1\ninvoicing.errors.ServiceError: {reason}"
    Result.create_failure(job, ttl=600, exc_string=traceback)
    FailedJobRegistry(queue=queue).add(job, exc_string=traceback)
    job.set_status(JobStatus.FAILED)
    return job


def counts(html: str, queue: str) -> dict[str, int]:
    row = re.search(rf'<tr data-queue="{queue}">(.*?)</tr>', html, re.S).group(1)
    return {state: int(n) for state, n in re.findall(r'data-state="(\w+)">(\d+)</td>', row)}


def batch_of(company, user) -> BatchReversal:
    return BatchReversal.objects.create(company=company, reason="01", created_by=user)


def test_hq_sees_its_companys_jobs_in_chinese_and_not_another_companys(client_for, tenants):
    mine = fail_job("default", BATCH_JOB, batch_of(tenants.a, tenants.hq_admin).pk)
    theirs = fail_job("default", BATCH_JOB, batch_of(tenants.b, tenants.hq_admin_b).pk, reason="乙公司的失败")
    rq_queue("tax").enqueue("invoicing.issuing.jobs.company_batch", tenants.a.pk)
    rq_queue("tax").enqueue("invoicing.issuing.jobs.company_batch", tenants.b.pk)
    rq_queue("tax").enqueue("invoicing.issuing.jobs.pipeline_sweep")  # every company's: operators only
    html = client_for(tenants.hq_finance).get("/jobs/").content.decode()
    assert counts(html, "default") == {"queued": 0, "scheduled": 0, "running": 0, "failed": 1}
    assert counts(html, "tax") == {"queued": 1, "scheduled": 0, "running": 0, "failed": 0}
    assert f'<tr data-job="{mine.id}">' in html and theirs.id not in html
    assert "批量红冲" in html and "税务平台暂时不可用，请稍后重试" in html and "乙公司的失败" not in html
    assert BATCH_JOB not in html and "ServiceError" not in html and "Traceback" not in html
    assert "开票与红冲" in html


def test_the_navigation_links_it_for_hq_only(client_for, tenants):
    nav = [label for _url, label in client_for(tenants.hq_admin).get("/").context["nav_items"]]
    assert "任务监控" in nav
    for user in (tenants.manager_a1, tenants.clerk_a1):
        client = Client()
        client.force_login(user)
        assert "任务监控" not in [label for _url, label in client.get("/").context["nav_items"]]
        assert client.get("/jobs/").status_code == 404


def test_the_rq_dashboard_link_is_for_staff(client_for, tenants):
    tenants.hq_admin.is_staff = True
    tenants.hq_admin.save()
    assert 'href="/admin/rq/"' in client_for(tenants.hq_admin).get("/jobs/").content.decode()
    assert 'href="/admin/rq/"' not in client_for(tenants.hq_finance).get("/jobs/").content.decode()


def test_a_retry_requeues_once_even_when_pressed_twice(client_for, tenants):
    job = fail_job("default", BATCH_JOB, batch_of(tenants.a, tenants.hq_admin).pk)
    client = client_for(tenants.hq_admin)
    url = f"/jobs/default/{job.id}/retry/"
    first = client.post(url, follow=True).content.decode()
    second = client.post(url, follow=True).content.decode()
    queue = django_rq.get_queue("default")
    assert queue.get_job_ids() == [job.id]
    assert job.id not in FailedJobRegistry(queue=queue)
    assert "已重新排队：批量红冲" in first and "未重复执行" in second
    assert AuditEvent.objects.filter(action="job.retry", object_id=job.id).count() == 1
    assert counts(second, "default")["queued"] == 1 and counts(second, "default")["failed"] == 0


@pytest.mark.django_db(transaction=True, databases="__all__")  # the threads' requests must see the rows
def test_two_retries_racing_requeue_once(tenants):
    job = fail_job("default", BATCH_JOB, batch_of(tenants.a, tenants.hq_admin).pk)
    barrier = threading.Barrier(2)

    def retry():
        try:
            client = Client()
            client.force_login(tenants.hq_admin)
            barrier.wait(timeout=10)
            client.post(f"/jobs/default/{job.id}/retry/")
        finally:
            close_old_connections()

    threads = [threading.Thread(target=retry) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert django_rq.get_queue("default").get_job_ids() == [job.id]
    assert AuditEvent.objects.filter(action="job.retry", object_id=job.id).count() == 1


def test_another_companys_job_cannot_be_retried(tenants):
    job = fail_job("default", BATCH_JOB, batch_of(tenants.b, tenants.hq_admin_b).pk)
    client = Client()
    client.force_login(tenants.hq_admin)
    client.post(f"/jobs/default/{job.id}/retry/")
    queue = django_rq.get_queue("default")
    assert job.id in FailedJobRegistry(queue=queue) and queue.get_job_ids() == []


def test_retry_needs_post_and_csrf(tenants):
    job = fail_job("default", BATCH_JOB, batch_of(tenants.a, tenants.hq_admin).pk)
    client = Client(enforce_csrf_checks=True)
    client.force_login(tenants.hq_admin)
    assert client.get(f"/jobs/default/{job.id}/retry/").status_code == 405
    assert client.post(f"/jobs/default/{job.id}/retry/").status_code == 403
    assert job.id in FailedJobRegistry(queue=django_rq.get_queue("default"))


def test_an_unknown_queue_or_job_changes_nothing(client_for, tenants):
    client = client_for(tenants.hq_admin)
    assert "未重复执行" in client.post("/jobs/nope/abc/retry/", follow=True).content.decode()
    assert "未重复执行" in client.post("/jobs/default/no-such-job/retry/", follow=True).content.decode()


def test_every_product_job_has_a_chinese_name():
    from config.cron_jobs import PERIODIC_JOBS
    from invoicing.monitor.labels import JOB_LABELS

    for path, _queue, _interval in PERIODIC_JOBS:
        assert path in JOB_LABELS, path
    for label in JOB_LABELS.values():
        assert re.search(r"[\u4e00-\u9fff]", label) and "." not in label
