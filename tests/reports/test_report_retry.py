"""A failed audit report says why in Chinese (never a Python exception name) and offers 重新生成,
which queues the same report once however many times it is clicked."""

from unittest import mock

import django_rq
from django.urls import reverse
from rq import SimpleWorker

from audit.models import AuditEvent, ReportJob


def _run_reports_queue():
    SimpleWorker([django_rq.get_queue("reports")], connection=django_rq.get_connection("reports")).work(burst=True)


def test_a_failed_report_reads_in_chinese_and_retries_once(client, tenants, django_capture_on_commit_callbacks):
    client.force_login(tenants.hq_finance)
    django_rq.get_queue("reports").empty()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("audit:report_list"), {"company": tenants.a.pk, "date_from": "2025-03-01",
                                                   "date_to": "2025-03-31"})
    job = ReportJob.objects.get()
    with mock.patch("audit.report_jobs.render_audit_report", side_effect=ModuleNotFoundError("No module named 'pypdf'")):
        _run_reports_queue()
    job.refresh_from_db()
    assert job.status == "failed"
    assert "Error" not in job.error and "pypdf" not in job.error and "重新生成" in job.error
    page = client.get(reverse("audit:report_detail", args=[job.pk])).content.decode()
    assert "ModuleNotFoundError" not in page and job.error in page
    assert f'action="{reverse("audit:report_retry", args=[job.pk])}"' in page
    assert client.get(reverse("audit:report_status", args=[job.pk])).json()["error"] == job.error

    with django_capture_on_commit_callbacks(execute=True):
        first = client.post(reverse("audit:report_retry", args=[job.pk]))
        second = client.post(reverse("audit:report_retry", args=[job.pk]))  # the double click
    assert first.status_code == second.status_code == 302
    assert django_rq.get_queue("reports").count == 1
    assert AuditEvent.objects.filter(action="report.retry").count() == 1
    job.refresh_from_db()
    assert (job.status, job.error) == ("queued", "")

    _run_reports_queue()
    job.refresh_from_db()
    assert job.status == "done" and job.file
    assert client.get(reverse("audit:report_retry", args=[job.pk])).status_code == 405
