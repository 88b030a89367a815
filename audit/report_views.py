"""Audit report PDF (background job with progress) and CSV/XLSX exports, for HQ roles
(``report.export``), scoped to the user's company."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, JsonResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from audit import exports
from audit.models import ReportJob
from audit.report_forms import ReportForm
from audit.report_jobs import report_job_create, report_job_retry
from stores.access import access_for
from stores.models import Company
from stores.roles import HQ_ROLES


def _company(request):
    """The company the HQ user works for (``?company=`` picks one when they have several)."""
    access = access_for(request)
    access.require("report.export")
    if request.user.is_superuser:
        companies = list(Company.objects.order_by("pk"))
    else:
        companies = list({m.company_id: m.company for m in access.memberships if m.role in HQ_ROLES}.values())
    wanted = request.GET.get("company") or request.POST.get("company")
    for company in companies:
        if wanted is None or str(company.pk) == wanted:
            return company
    raise Http404


def _export_query(company, data) -> str:
    """The export links' query, rebuilt from the cleaned form: only the choices, never a token."""
    from django.http import QueryDict

    query = QueryDict(mutable=True)
    query["company"] = str(company.pk)
    query["date_from"], query["date_to"] = data["date_from"].isoformat(), data["date_to"].isoformat()
    query.setlist("stores", [str(s.pk) for s in data["stores"]])
    query.setlist("actions", list(data["actions"]))
    return query.urlencode()


@login_required
def report_list(request):
    """One form, always POSTed (it carries the CSRF token). 生成 starts a report; 准备导出 redirects to
    this page by GET with the choices only, so export links never carry the token into logs."""
    company = _company(request)
    form = ReportForm(request.POST or request.GET or None, company=company)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if request.POST.get("do") == "export":
            return redirect(f"{reverse('audit:report_list')}?{_export_query(company, data)}")
        job = report_job_create(user=request.user, company=company, date_from=data["date_from"],
                                date_to=data["date_to"], store_ids=[s.pk for s in data["stores"]],
                                actions=data["actions"])
        return redirect("audit:report_detail", job_id=job.pk)
    jobs = ReportJob.objects.for_user(request.user).filter(company=company).select_related("requested_by")[:20]
    valid_get = request.method == "GET" and form.is_bound and form.is_valid()
    export_query = _export_query(company, form.cleaned_data) if valid_get else ""
    return render(request, "audit/report_list.html", {
        "form": form, "company": company, "jobs": jobs, "export_query": export_query,
        "exports": [(kind, label) for kind, (label, _) in exports.EXPORTS.items()],
    })


def _job(request, job_id: int) -> ReportJob:
    access_for(request).require("report.export")
    return get_object_or_404(ReportJob.objects.for_user(request.user), pk=job_id)


@login_required
@require_GET
def report_detail(request, job_id: int):
    return render(request, "audit/report_detail.html", {"job": _job(request, job_id)})


@login_required
@require_POST
def report_retry(request, job_id: int):
    job = _job(request, job_id)
    if report_job_retry(user=request.user, job_id=job.pk) is None:
        messages.info(request, "该报告不是失败状态，无需重新生成。")
    return redirect("audit:report_detail", job_id=job.pk)


@login_required
@require_GET
def report_status(request, job_id: int):
    job = _job(request, job_id)
    ready = job.status == ReportJob.Status.DONE and bool(job.file)
    return JsonResponse({
        "status": job.status, "status_display": job.get_status_display(), "progress": job.progress,
        "error": job.error, "pages": job.pages, "rows": job.rows,
        "download_url": reverse("audit:report_download", args=[job.pk]) if ready else None,
    })


@login_required
@require_GET
def report_download(request, job_id: int):
    job = _job(request, job_id)
    if job.status != ReportJob.Status.DONE or not job.file or job.expires_at < timezone.now():
        raise Http404
    return FileResponse(job.file.open("rb"), as_attachment=True, content_type="application/pdf",
                        filename=f"审计报告-{job.params['date_from']}-{job.params['date_to']}.pdf")


@login_required
@require_GET
def export(request, kind: str, fmt: str):
    if kind not in exports.EXPORTS or fmt not in ("csv", "xlsx"):
        raise Http404
    company = _company(request)
    form = ReportForm(request.GET, company=company)
    if not form.is_valid():
        return render(request, "audit/report_list.html", {"form": form, "company": company, "jobs": [],
                                                          "exports": []}, status=400)
    data = form.cleaned_data
    params = {"company": company, "date_from": data["date_from"], "date_to": data["date_to"],
              "store_ids": [s.pk for s in data["stores"]]}
    if kind == "audit":
        params["actions"] = data["actions"]
    title, rows_for = exports.EXPORTS[kind]
    filename = f"{title}-{data['date_from']:%Y%m%d}-{data['date_to']:%Y%m%d}.{fmt}"
    rows = rows_for(**params)
    if fmt == "csv":
        response = StreamingHttpResponse(exports.csv_chunks(rows), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = _disposition(filename)
        return response
    return FileResponse(exports.xlsx_file(rows, title=title), as_attachment=True, filename=filename,
                        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


def _disposition(filename: str) -> str:
    from django.utils.http import content_disposition_header

    return content_disposition_header(as_attachment=True, filename=filename)
