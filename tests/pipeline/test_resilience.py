"""Redis down while orders arrive, a worker killed mid-batch, the DB connection dropped mid-job."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import django_rq
import pytest
from django.db import connection
from redis import Redis
from rq import Queue

from invoicing import enqueue as enqueue_module
from invoicing.issuing import pipeline
from invoicing.issuing.pipeline import pipeline_sweep
from invoicing.models import Invoice, Order, UploadBatch
from tests.pipeline.conftest import an_order, run_jobs
from tests.pipeline.test_faults import assert_exactly_one_issued_per_order, drive_until_settled, post_orders

ROOT = Path(__file__).resolve().parents[2]


def test_orders_are_kept_when_redis_is_down_and_the_sweeper_picks_them_up(shop, settings, monkeypatch):
    dead = Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2)
    monkeypatch.setattr(enqueue_module, "get_queue", lambda name: Queue(name, connection=dead))
    response = shop.api.post("/api/v1/orders/batch", {"orders": [an_order() for _ in range(20)]})
    assert response.status_code == 200 and response.json()["summary"]["201"] == 20
    single = shop.api.post("/api/v1/orders", an_order("REDIS-DOWN-1"))
    assert single.status_code == 201
    assert Invoice.objects.filter(status="pending").count() == 21
    assert len(django_rq.get_queue("tax")) == 0, "nothing could be enqueued"

    monkeypatch.undo()
    settings.TAX_SWEEP_PENDING_AGE = 0
    report = pipeline_sweep()
    assert report["companies"] == 1
    run_jobs()
    assert_exactly_one_issued_per_order(21)


def _subprocess_env(live_url: str) -> dict:
    db = connection.settings_dict
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    host = db.get("HOST") or (db.get("OPTIONS") or {}).get("host") or ""
    if host.startswith("/"):
        url = f"postgresql://{auth}@/{db['NAME']}?host={host}"
    else:
        url = f"postgresql://{auth}@{host}:{db.get('PORT') or 5432}/{db['NAME']}"
    env = dict(os.environ)
    env.update(DATABASE_URL=url, TAX_PLATFORM_URL=live_url + "/sandbox", DJANGO_SETTINGS_MODULE="config.settings",
               TAX_PLATFORM_READ_TIMEOUT="30")
    env.pop("TEST_DATABASE_NAME", None)
    return env


def test_a_worker_killed_mid_batch_loses_nothing_and_issues_nothing_twice(shop, settings):
    # The upload takes 3 s on the platform side: the worker is killed while it waits for the answer.
    shop.control("post", "faults", {"latency_ms": 3000, "services": ["QDFPSC"], "times": 1})
    post_orders(shop, 120)
    worker = subprocess.Popen(
        [sys.executable, "manage.py", "rqworker", "tax", "--worker-class", "rq.SimpleWorker"],
        cwd=ROOT, env=_subprocess_env(shop.base), start_new_session=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.time() + 30
        while not UploadBatch.objects.filter(status="sending").exists():
            assert time.time() < deadline, "the worker never started uploading"
            assert worker.poll() is None, "the worker exited"
            time.sleep(0.1)
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(timeout=10)
    finally:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGKILL)
    assert UploadBatch.objects.filter(status="sending").count() == 1
    time.sleep(3.5)  # the platform finishes the upload the dead worker sent
    drive_until_settled(shop, settings, clear_after=1)
    assert_exactly_one_issued_per_order(120)


def test_a_dropped_database_connection_mid_job_is_survived_without_duplicates(shop, settings, monkeypatch):
    real_provider_for = pipeline.provider_for
    dropped = []

    class DroppingProvider:
        def __init__(self, company):
            self.inner = real_provider_for(company)

        def __getattr__(self, name):
            return getattr(self.inner, name)

        def upload_invoices(self, **kwargs):
            answer = self.inner.upload_invoices(**kwargs)
            if not dropped:
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_backend_pid()")
                    pid = cursor.fetchone()[0]
                other = connection.copy()
                with other.cursor() as cursor:
                    cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
                other.close()
                dropped.append(pid)
            return answer

    monkeypatch.setattr(pipeline, "provider_for", DroppingProvider)
    post_orders(shop, 30)
    run_jobs()
    assert dropped, "the connection was never dropped"
    drive_until_settled(shop, settings)
    assert_exactly_one_issued_per_order(30)
    assert Order.objects.filter(status="invoiced").count() == 30


@pytest.mark.parametrize("where", ["before_upload", "after_upload"])
def test_a_job_that_runs_twice_issues_once(shop, where):
    post_orders(shop, 10)
    company_id = shop.company.pk
    if where == "after_upload":
        run_jobs()
    from invoicing.issuing import jobs

    jobs.company_batch(company_id)
    jobs.company_batch(company_id)
    for batch in UploadBatch.objects.all():
        jobs.upload_batch_poll(batch.pk)
    run_jobs()
    assert_exactly_one_issued_per_order(10)
