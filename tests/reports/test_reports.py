import csv
import datetime as dt
import io
import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from unittest import mock

import django_rq
from django.db import transaction
from django.urls import reverse
from openpyxl import load_workbook
from rq import SimpleWorker

from audit.models import AuditEvent, ReportJob
from audit.report_jobs import report_job_run
from audit.reports import ReportHeader, ReportRow, StoreSection, fit, render_audit_report
from audit.services import Actor, audit_record
from tests.delivery.conftest import make_invoice, red_of

ROOT = Path(__file__).resolve().parents[2]
D = dt.date(2025, 3, 5)


def _events(tenants, n_a1=30, n_a2=12, n_b1=5):
    actor = Actor.for_user(tenants.clerk_a1)
    # The trail is append-only (a trigger refuses UPDATE), so the events are written "in" the period.
    moment = dt.datetime(2025, 3, 5, 12, 0, tzinfo=dt.UTC)
    with transaction.atomic(), mock.patch("audit.services.timezone.now", return_value=moment):
        for store, n in ((tenants.a1, n_a1), (tenants.a2, n_a2), (tenants.b1, n_b1)):
            for i in range(n):
                audit_record(actor=actor, action="invoice.issue" if i % 3 else "invoice.cancel", object_type="invoicing.invoice",
                             object_id=str(i), object_repr=f"发票 {i:020d}", company=store.company, store=store,
                             before={"status": "pending"}, after={"status": "issued"})


def _pdf_text(path) -> str:
    """The PDF's text, whitespace removed inside each page (pdftotext spaces CJK unevenly)."""
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return "\f".join("".join(page.split()) for page in text.split("\f"))


def test_fit_pads_by_display_width():
    assert fit("甲一店", 8) == "甲一店  "
    assert fit("abcdef", 4) == "abcd"
    assert fit("发票号码", 5) == "发票 " and len(fit("发票号码", 5)) == 3


def test_the_report_has_summary_sections_page_numbers_and_totals(tmp_path):
    rows = [ReportRow(f"2025-03-05 10:{i // 60:02d}:{i % 60:02d}", "clerk", "invoice.issue", f"发票 {i:020d}", "status: pending → issued")
            for i in range(700)]
    sections = [StoreSection("A1 甲一店", 700, {"invoice.issue": 700}, rows), StoreSection("A2 甲二店", 3, {"invoice.cancel": 3}, rows[:3])]
    header = ReportHeader("甲公司", D, D, [], "2025-03-06 09:00:00", "a_finance")
    progress = []
    out = tmp_path / "r.pdf"
    result = render_audit_report(header=header, sections=sections, out=out, progress=lambda d, t: progress.append((d, t)))
    assert result.rows == 703 and result.pages > 5
    assert progress[-1] == (703, 703) and [d for d, _ in progress] == sorted(d for d, _ in progress)
    text = _pdf_text(out)
    pages = text.split("\f")
    assert len([p for p in pages if p.strip()]) == result.pages
    assert "审计报告" in pages[0] and "703条记录" in pages[0] and f"共{result.pages}页" in pages[0]
    for number, page in enumerate(pages[: result.pages], start=1):
        assert f"第{number}页" in page  # the counters continue across the merged chunks
    assert "A1甲一店合计" in text and "A2甲二店合计" in text
    assert "发票00000000000000000699" in text


def _run_reports_queue():
    SimpleWorker([django_rq.get_queue("reports")], connection=django_rq.get_connection("reports")).work(burst=True)


def test_the_report_job_runs_on_the_queue_with_progress(client, tenants, django_capture_on_commit_callbacks):
    _events(tenants)
    client.force_login(tenants.hq_finance)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("audit:report_list"), {"company": tenants.a.pk, "date_from": "2025-03-01",
                                                              "date_to": "2025-03-31", "stores": [tenants.a1.pk]})
    job = ReportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("audit:report_detail", args=[job.pk])
    status = client.get(reverse("audit:report_status", args=[job.pk])).json()
    assert (status["status"], status["progress"], status["download_url"]) == ("queued", 0, None)
    assert 'id="report-progress"' in client.get(reverse("audit:report_detail", args=[job.pk])).content.decode()

    _run_reports_queue()
    job.refresh_from_db()
    assert (job.status, job.progress, job.rows) == ("done", 100, 30)
    status = client.get(reverse("audit:report_status", args=[job.pk])).json()
    assert status["download_url"] == reverse("audit:report_download", args=[job.pk])
    download = client.get(status["download_url"])
    assert download.status_code == 200
    pdf = b"".join(download.streaming_content)
    path = Path(job.file.path)
    assert pdf == path.read_bytes()
    text = _pdf_text(path)
    assert "A1甲一店" in text and "A2甲二店" not in text and "乙一店" not in text
    assert AuditEvent.objects.filter(action="report.request").count() == 1
    assert report_job_run(job_id=job.pk) == "done"  # a second run changes nothing


def test_report_pages_are_for_hq_of_the_same_company_only(client, tenants):
    job = ReportJob.objects.create(requested_by=tenants.hq_finance, company=tenants.a, params={"date_from": "2025-03-01",
                                   "date_to": "2025-03-31"}, expires_at=dt.datetime(2099, 1, 1, tzinfo=dt.UTC))
    for user in (tenants.clerk_a1, tenants.manager_a1):
        client.force_login(user)
        assert client.get(reverse("audit:report_list")).status_code == 404
        assert client.get(reverse("audit:report_status", args=[job.pk])).status_code == 404
    client.force_login(tenants.hq_admin_b)
    assert client.get(reverse("audit:report_detail", args=[job.pk])).status_code == 404
    assert client.get(reverse("audit:report_list"), {"company": tenants.a.pk}).status_code == 404
    client.force_login(tenants.hq_admin)
    assert client.get(reverse("audit:report_detail", args=[job.pk])).status_code == 200


def _export(client, kind, fmt, **params):
    query = {"date_from": "2025-03-01", "date_to": "2025-03-31", **params}
    return client.get(reverse("audit:export", args=[kind, fmt]), query)


def test_reconciliation_nets_red_invoices(client, tenants):
    blue = make_invoice(tenants.a1)  # 100.00 + 9.00 at 9 %
    red_of(blue)  # −100.00 − 9.00, the next day
    make_invoice(tenants.a1, lines=[("*服装*T恤", "1040000000000000000", Decimal("1"), Decimal("200"), Decimal("200.00"),
                                     Decimal("0.13"), Decimal("26.00"))])
    make_invoice(tenants.b1)  # another company: never exported here
    client.force_login(tenants.hq_finance)
    response = _export(client, "reconciliation", "csv")
    assert response.status_code == 200
    raw = b"".join(response.streaming_content)
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0][:4] == ["门店编码", "门店名称", "日期", "税率"]
    body = {(r[2], r[3]): r[4:] for r in rows[1:-1]}
    assert body[("2025-03-05", "9%")] == ["1", "0", "100.00", "9.00", "109.00"]
    assert body[("2025-03-06", "9%")] == ["0", "1", "-100.00", "-9.00", "-109.00"]
    assert body[("2025-03-05", "13%")] == ["1", "0", "200.00", "26.00", "226.00"]
    assert rows[-1] == ["合计", "", "", "", "2", "1", "200.00", "26.00", "226.00"]

    response = _export(client, "reconciliation", "xlsx")
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True).active
    values = list(sheet.values)
    assert values[0][0] == "门店编码" and values[-1][:1] == ("合计",)
    assert Decimal(str(values[-1][8])) == Decimal("226.00")


def test_invoice_and_audit_exports(client, tenants):
    blue = make_invoice(tenants.a1, buyer_name="=HYPERLINK(\"x\")")
    red_of(blue)
    _events(tenants, n_a1=3, n_a2=0, n_b1=2)
    client.force_login(tenants.hq_admin)
    rows = list(csv.reader(io.StringIO(b"".join(_export(client, "invoices", "csv").streaming_content).decode("utf-8-sig"))))
    assert len(rows) == 3 and rows[1][2] == blue.number and rows[2][3] == "红字发票" and rows[2][12] == blue.number
    assert rows[1][7].startswith("'=")  # no formula injection into Excel
    assert rows[1][5] == "已全额红冲" and rows[2][5] == "已开具"  # the blue reads as reversed, not 已开具
    assert Decimal(rows[2][11]) < 0 and not rows[2][11].startswith("'")  # a red total is a number, not text
    invoices = list(load_workbook(io.BytesIO(b"".join(_export(client, "invoices", "xlsx").streaming_content)),
                                  read_only=True).active.values)
    red_amounts = invoices[2][9:12]
    assert all(isinstance(v, int | float) for v in red_amounts) and Decimal(str(red_amounts[2])) == -blue.total_with_tax
    assert invoices[1][7].startswith("'=")
    xlsx = load_workbook(io.BytesIO(b"".join(_export(client, "audit", "xlsx").streaming_content)), read_only=True).active
    audit_rows = list(xlsx.values)
    assert audit_rows[0][0] == "时间" and len(audit_rows) == 1 + 3  # company B's events are not there
    client.force_login(tenants.clerk_a1)
    assert _export(client, "invoices", "csv").status_code == 404


def test_bench_smoke():
    result = subprocess.run([sys.executable, "-m", "bench.reports", "--events", "60", "--stores", "2"], cwd=ROOT,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    last = json.loads(result.stdout.strip().splitlines()[-1])
    assert {"report_s", "naive_s", "peak_mb", "pages"} <= set(last)
    assert last["pages"] >= 2 and last["peak_mb"] > 0
