"""Production smoke: the product as ./run starts it, in a virtualenv built from requirements.txt alone.

    .venv-prod/bin/python -m tests.prod_smoke          (.ci/run builds .venv-prod and runs this)

Not a pytest module (it must not need pytest, factory-boy or anything else only the dev
requirements bring): it starts ``config.launcher`` — the process ./run execs — with a temporary
KAIPIAO_VAR_DIR and free ports (or KAIPIAO_PORT / SANDBOX_PORT), on a database of its own:
``SMOKE_DATABASE_NAME`` (default: DATABASE_URL's name + _smoke, dropped and created again) on the server of
DATABASE_URL, or the embedded servers when DATABASE_URL is unset; on Redis database
``SMOKE_REDIS_DB`` (default 14, flushed) of REDIS_URL's server. Then every job type runs once in
the real worker, scheduler and sandbox:

1. issue       a paid order through the signed shop API → issued by the worker via the sandbox
2. deliver     the invoice mailed to the order's buyer (console mail backend), its PDF read back
3. audit PDF   an HQ accountant generates 审计报告 in the browser's way (form POST), PDF read back
4. export      对账汇总 CSV and 发票清单 XLSX downloaded and read back
5. red letter  a full refund through the API → red invoice issued
6. periodic    every job of config.cron_jobs.PERIODIC_JOBS (status sync among them) once on its queue

A step that does not complete, a job the smoke started that fails, or a module missing from this
virtualenv (ModuleNotFoundError / ImportError anywhere: a job, the processes' log) fails the smoke (exit status 1, the log's tail printed). The last line is one JSON object.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
MISSING_MODULE = re.compile(r"(ModuleNotFoundError|ImportError)[^\n]*")
STEP_TIMEOUT = float(os.environ.get("SMOKE_STEP_TIMEOUT", "90"))


class SmokeFailure(Exception):
    pass


def log(message: str) -> None:
    print(f"[prod_smoke] {time.strftime('%H:%M:%S', time.gmtime())} UTC {message}", file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


WATCHERS: list = []  # called on every poll: raise SmokeFailure as soon as something broke


def wait(what: str, check, timeout: float = STEP_TIMEOUT, every: float = 0.5):
    deadline = time.time() + timeout
    while time.time() < deadline:
        for watcher in WATCHERS:
            watcher()
        value = check()
        if value:
            return value
        time.sleep(every)
    raise SmokeFailure(f"timed out after {timeout:.0f} s waiting for {what}")


def own_database(database_url: str, name: str) -> str:
    """The same server as DATABASE_URL, a database of the smoke's own, empty (a fresh install)."""
    import psycopg

    parts = urlparse(database_url)
    admin = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", [name])
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    return parts._replace(path="/" + name).geturl()


# What tests/environment.py sets for the test suite only; a product started as ./run starts it has none.
TEST_ONLY_VARIABLES = ("TEST_DATABASE_NAME", "TEST_REDIS_DB", "DJANGO_ALLOW_ASYNC_UNSAFE", "SECRET_KEY",
                       "SANDBOX_ADMIN_TOKEN", "CREDENTIALS_KEY", "STATIC_MANIFEST", "MEDIA_ROOT",
                       "INVOICE_AUTO_DELIVERY", "CACHE_KEY_PREFIX")


def environment(var_dir: Path, *, database: str | None = None, redis_db: str | None = None,
                base: dict | None = None) -> dict:
    """./run's environment on a database and Redis database of its own (``database`` defaults to
    SMOKE_DATABASE_NAME or DATABASE_URL's name + ``_smoke``; ``redis_db`` to SMOKE_REDIS_DB or 14)."""
    env = dict(os.environ if base is None else base, KAIPIAO_VAR_DIR=str(var_dir), PYTHONUNBUFFERED="1",
               DJANGO_SETTINGS_MODULE="config.settings")
    for name in TEST_ONLY_VARIABLES:
        env.pop(name, None)
    env["KAIPIAO_PORT"] = env.get("KAIPIAO_PORT") or str(free_port())
    env["SANDBOX_PORT"] = env.get("SANDBOX_PORT") or str(free_port())
    env.pop("TAX_PLATFORM_URL", None)  # the launcher points it at its own sandbox
    if env.get("DATABASE_URL"):
        name = database or env.get("SMOKE_DATABASE_NAME") or urlparse(env["DATABASE_URL"]).path.strip("/") + "_smoke"
        env["DATABASE_URL"] = own_database(env["DATABASE_URL"], name)
    if env.get("REDIS_URL"):
        import redis

        db = redis_db or env.get("SMOKE_REDIS_DB", "14")
        parts = urlparse(env["REDIS_URL"])
        if parts.scheme == "unix":  # the embedded Redis: the socket is the path, the database a parameter
            env["REDIS_URL"] = parts._replace(query=f"db={db}").geturl()
        else:
            env["REDIS_URL"] = parts._replace(path="/" + db, query="").geturl()
        redis.Redis.from_url(env["REDIS_URL"]).flushdb()
    return env


@contextmanager
def launched(env: dict, log_path: Path):
    """``config.launcher`` (what ./run execs) running until the block ends: yields (web, sandbox) URLs
    once both answer. SIGTERM at the end, as Ctrl-C would: the launcher stops the supervisor, which
    stops its children, then the embedded servers it started."""
    import requests

    base, sandbox = f"http://127.0.0.1:{env['KAIPIAO_PORT']}", f"http://127.0.0.1:{env['SANDBOX_PORT']}"
    log(f"starting config.launcher (as ./run does) on {base}, log {log_path}")
    launcher = subprocess.Popen([sys.executable, "-m", "config.launcher"], cwd=ROOT, env=env,
                                stdout=open(log_path, "w"), stderr=subprocess.STDOUT,  # noqa: SIM115
                                start_new_session=True)

    def answers(url, *, ok_only: bool):
        if launcher.poll() is not None:
            raise SmokeFailure(f"the launcher exited with {launcher.returncode}: {log_path.read_text()[-3000:]}")
        try:
            return requests.get(url, timeout=2).status_code == 200 or not ok_only
        except requests.RequestException:
            return False

    try:
        wait("the web server", lambda: answers(base + "/accounts/login/", ok_only=True), timeout=240)
        wait("the sandbox", lambda: answers(sandbox + "/sandbox/", ok_only=False), timeout=60)
        yield base, sandbox
    finally:
        launcher.send_signal(signal.SIGTERM)
        try:
            launcher.wait(timeout=40)
        except subprocess.TimeoutExpired:
            os.killpg(launcher.pid, signal.SIGKILL)


class Shop:
    """A shop system calling the signed integration API (docs/api.md)."""

    def __init__(self, base: str, key_id: str, secret: str):
        import requests

        self.base, self.key_id, self.secret, self.http = base, key_id, secret, requests.Session()

    def call(self, method: str, path: str, payload=None):
        body = json.dumps(payload, ensure_ascii=False).encode() if payload is not None else b""
        timestamp, nonce = str(int(time.time())), secrets.token_hex(12)
        message = "\n".join([method, path, timestamp, nonce, hashlib.sha256(body).hexdigest()])
        headers = {"X-Key-Id": self.key_id, "X-Timestamp": timestamp, "X-Nonce": nonce,
                   "Content-Type": "application/json",
                   "X-Signature": hmac.new(self.secret.encode(), message.encode(), hashlib.sha256).hexdigest()}
        response = self.http.request(method, self.base + path, data=body or None, headers=headers, timeout=30)
        if response.status_code >= 300:
            raise SmokeFailure(f"{method} {path} answered {response.status_code}: {response.text[:500]}")
        return response.json()


class Browser:
    """A person at the back office: logs in through the form, POSTs with the CSRF token."""

    def __init__(self, base: str, username: str, password: str):
        import requests

        self.base, self.http = base, requests.Session()
        self.post("/accounts/login/", {"username": username, "password": password}, form_page="/accounts/login/")
        if "/accounts/login/" in self.last.url:
            raise SmokeFailure(f"login as {username} failed")

    def get(self, path: str, **params):
        response = self.http.get(self.base + path, params=params, timeout=60)
        if response.status_code != 200:
            raise SmokeFailure(f"GET {path} answered {response.status_code}: {response.text[:500]}")
        self.last = response
        return response

    def post(self, path: str, data: dict, *, form_page: str):
        page = self.get(form_page).text
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        if not token:
            raise SmokeFailure(f"no CSRF token on {form_page}")
        response = self.http.post(self.base + path, data={**data, "csrfmiddlewaretoken": token.group(1)},
                                  headers={"Referer": self.base + form_page}, timeout=60)
        if response.status_code != 200:
            raise SmokeFailure(f"POST {path} answered {response.status_code}: {response.text[:500]}")
        self.last = response
        return response


def pdf_text(data: bytes) -> str:
    from pypdf import PdfReader

    if not data.startswith(b"%PDF"):
        raise SmokeFailure(f"not a PDF: {data[:80]!r}")
    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages)


def run_jobs(base: str, sandbox: str) -> dict:
    """Every job type once against the running product; the figures it saw."""
    import django

    django.setup()
    import django_rq
    from django.conf import settings
    from django.utils import timezone
    from rq.job import Job

    from audit.models import ReportJob
    from audit.services import Actor
    from config.cron_jobs import PERIODIC_JOBS
    from invoicing.integrations.apikeys import api_key_create
    from invoicing.models import DeliveryAttempt, Invoice
    from invoicing.rules.taxid import make_uscc
    from stores.demo import DEMO_TAX_ID, demo_password
    from stores.models import Company, Store

    connection = django_rq.get_connection("default")

    def failed_jobs() -> list[str]:
        """Failed jobs of every queue; a missing module fails the smoke at once (a job that dies on an
        import never reaches its own error handling: its report would just wait, 排队中, forever)."""
        failed = []
        for name in settings.RQ_QUEUES:
            registry = django_rq.get_queue(name).failed_job_registry
            for job in Job.fetch_many(registry.get_job_ids(), connection=connection):
                result = job and job.latest_result()
                if result and MISSING_MODULE.search(result.exc_string):
                    raise SmokeFailure(f"{job.func_name} failed in the worker:\n{result.exc_string}")
                failed.append(f"{job.func_name}: {result.exc_string.strip().splitlines()[-1] if result else '?'}")
        return failed

    WATCHERS.append(failed_jobs)
    figures: dict = {}
    company = Company.objects.get(tax_id=DEMO_TAX_ID)
    store = Store.objects.get(company=company, code="SH001")  # 100 % of its orders issued automatically
    key, secret = api_key_create(store=store, actor=Actor.system(), label="prod_smoke")
    shop = Shop(base, key.key_id, secret)

    log("1 issue: a paid order through the signed API")
    order_no = f"SMOKE-{secrets.token_hex(4)}"
    order = {"order_no": order_no, "paid_at": datetime.now().astimezone().isoformat(), "total": "113.00",
             "buyer": {"name": "上海买方科技有限公司", "tax_id": make_uscc("91310000MA1FL8XQ3"), "email": "buyer@example.com"},
             "lines": [{"name": "马苏里拉奶酪", "tax_code": "1030204020000000000", "rate": "0.13", "quantity": "2",
                        "unit_price": "56.50", "unit": "盒"}]}
    shop.call("POST", "/api/v1/orders", order)
    started = time.time()

    def issued_blue():
        return Invoice.objects.filter(order__order_no=order_no, kind="blue", status="issued").first()

    blue = wait("the order's invoice to be issued", issued_blue)
    figures["issue_s"] = round(time.time() - started, 1)
    answer = shop.call("GET", f"/api/v1/orders/{order_no}")
    if blue.number not in json.dumps(answer):
        raise SmokeFailure(f"GET /api/v1/orders/{order_no} does not show invoice {blue.number}: {answer}")

    log("2 deliver: mailed to the buyer, the invoice PDF read back")
    wait("the invoice to be delivered",
         lambda: DeliveryAttempt.objects.filter(invoice=blue, status=DeliveryAttempt.Status.SENT).exists())
    clerk = Browser(base, "clerk_sh001", demo_password())
    text = pdf_text(clerk.get(f"/documents/invoices/{blue.pk}/pdf/").content)
    if blue.number not in text:
        raise SmokeFailure(f"invoice PDF does not carry its number {blue.number}: {text[:300]!r}")

    log("3 audit PDF: 审计报告 generated by the worker")
    finance = Browser(base, "hq_finance", demo_password())
    today = timezone.localdate().isoformat()
    period = {"date_from": today, "date_to": today, "company": str(company.pk)}
    finance.post("/audit/reports/", period, form_page="/audit/reports/")
    job = ReportJob.objects.filter(company=company).order_by("-pk").first()
    if job is None or f"/audit/reports/{job.pk}/" not in finance.last.url:
        raise SmokeFailure(f"no report job after the form POST (at {finance.last.url})")

    def report_state():
        state = finance.get(f"/audit/reports/{job.pk}/status/").json()
        if state["status"] == "failed":
            raise SmokeFailure(f"audit report failed: {state['error']}")
        return state if state["download_url"] else None

    state = wait("the audit report", report_state)
    text = pdf_text(finance.get(state["download_url"]).content)
    figures["audit_pdf_pages"] = state["pages"]
    if "审计" not in text:
        raise SmokeFailure(f"audit PDF text has no 审计: {text[:300]!r}")

    log("4 export: 对账汇总 CSV, 发票清单 XLSX")
    csv_bytes = finance.get("/audit/exports/reconciliation.csv", **period).content
    if not csv_bytes.startswith(b"\xef\xbb\xbf") or "合计" not in csv_bytes.decode("utf-8-sig"):
        raise SmokeFailure(f"reconciliation CSV unreadable: {csv_bytes[:200]!r}")
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(finance.get("/audit/exports/invoices.xlsx", **period).content)).active
    numbers = {str(row[2]) for row in sheet.iter_rows(min_row=2, values_only=True)}
    if blue.number not in numbers:
        raise SmokeFailure(f"invoice list XLSX lacks {blue.number}")
    figures["xlsx_rows"] = len(numbers)

    log("5 red letter: a full refund through the API")
    shop.call("POST", "/api/v1/refunds", {"refund_id": f"R-{order_no}", "order_no": order_no, "amount": "113.00",
                                          "refunded_at": datetime.now().astimezone().isoformat()})
    red = wait("the red invoice", lambda: Invoice.objects.filter(blue_invoice=blue, kind="red",
                                                                  status="issued").first())
    figures["red_total"] = str(red.total_with_tax)

    log(f"6 periodic: {len(PERIODIC_JOBS)} jobs of config.cron_jobs, status sync among them")
    Invoice.objects.filter(pk=blue.pk).update(platform_checked_at=None)
    for func_path, queue_name, _ in PERIODIC_JOBS:
        job_id = f"smoke-{func_path.replace('.', '-')}-{secrets.token_hex(3)}"
        rq_job = django_rq.get_queue(queue_name).enqueue(func_path, job_id=job_id)

        def finished(rq_job=rq_job, func_path=func_path):
            if not connection.exists(rq_job.key):
                raise SmokeFailure(f"job {rq_job.id} vanished from Redis (is another process using "
                                   f"database {os.environ['REDIS_URL']}? set SMOKE_REDIS_DB)")
            job = Job.fetch(rq_job.id, connection=connection)
            status = job.get_status(refresh=True)
            if status == "failed":
                raise SmokeFailure(f"{func_path} failed in the worker:\n{job.latest_result().exc_string}")
            return status == "finished"

        wait(func_path, finished)
    blue.refresh_from_db()
    if blue.platform_checked_at is None:
        raise SmokeFailure("status sync ran but did not check the issued invoice")
    figures["platform_state"] = blue.platform_state

    # Jobs the scheduler started on its own may have failed for a reason of the moment (the cron's
    # first tax-code sync can run before the sandbox listens); a missing module is never that.
    failed = failed_jobs()
    figures["failed_jobs_other"] = failed
    return figures


def main() -> int:
    started = time.time()
    var_dir = Path(tempfile.mkdtemp(prefix="kaipiao-smoke-"))
    env = environment(var_dir)
    os.environ.update(env)  # this process reads the same settings (and the keys generated under var_dir)
    log_path = var_dir / "launcher.log"
    result = {"ok": False}

    def log_imports_fine():
        missing = MISSING_MODULE.search(log_path.read_text(errors="replace"))
        if missing:
            raise SmokeFailure(f"a process could not import a module: {missing.group(0)}")

    WATCHERS.append(log_imports_fine)
    try:
        with launched(env, log_path) as (base, sandbox):
            result.update(run_jobs(base, sandbox))
            log_imports_fine()
        result["ok"] = True
    except SmokeFailure as exc:
        result["error"] = str(exc)
        log(f"FAILED: {exc}")
    except Exception as exc:  # noqa: BLE001 - reported like any failure, with the processes' log
        import traceback

        result["error"] = f"{type(exc).__name__}: {exc}"
        log(f"FAILED:\n{traceback.format_exc()}")
    if not result["ok"]:
        tail = log_path.read_text(errors="replace")[-6000:]
        print(f"--- last lines of {log_path} ---\n{tail}", file=sys.stderr)
    else:
        shutil.rmtree(var_dir, ignore_errors=True)  # kept, with the log, only when it failed
    result["seconds"] = round(time.time() - started, 1)
    print(json.dumps(result, ensure_ascii=False))
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
