"""End-to-end issuing throughput: orders through the signed API to issued invoices, against RQ's baseline.

    python -m bench.pipeline [--orders 10000] [--workers 2] [--clients 4]

Starts gunicorn (API and the sandbox under /sandbox), ``--workers`` rqworker processes (RQ's
default forking worker, with the scheduler), registers a fresh company with the sandbox, pushes
the orders through ``POST /api/v1/orders/batch`` (500 per request, ``--clients`` in parallel),
and waits until every one is issued. In the same run it measures RQ's default worker executing
empty jobs with the same number of workers (``baseline_per_s``). Duplicates and losses are
counted from the database and from the sandbox's own records, for this run's company only.

Without DATABASE_URL / REDIS_URL the embedded servers under ./var are used, with a database
``kaipiao_bench`` (created and migrated) and Redis database 13. The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import os
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from datetime import datetime
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SETTINGS = "bench.pipeline_settings"
BATCH = 500


def empty_job() -> None:
    """What the baseline workers run."""


def log(message: str) -> None:
    print(f"[bench.pipeline] {message}", file=sys.stderr, flush=True)


def prepare_environment() -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = SETTINGS
    var = Path(os.environ.get("KAIPIAO_VAR_DIR", ROOT / "var"))
    from config import embedded

    if not os.environ.get("DATABASE_URL"):
        embedded.start_postgres(var / "pg")
        host = (var / "pg" / "data").resolve()
        import psycopg

        with psycopg.connect(f"postgresql://postgres@/postgres?host={host}", autocommit=True) as conn:
            if not conn.execute("SELECT 1 FROM pg_database WHERE datname = 'kaipiao_bench'").fetchone():
                conn.execute("CREATE DATABASE kaipiao_bench")
        os.environ["DATABASE_URL"] = f"postgresql://postgres@/kaipiao_bench?host={host}"
    if not os.environ.get("REDIS_URL"):
        embedded.start_redis(var / "redis")
        os.environ["REDIS_URL"] = f"unix://{(var / 'redis' / 'redis.sock').resolve()}?db=13"
    os.environ.setdefault("DB_CONN_MAX_AGE", "60")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(url: str, timeout: float = 60) -> None:
    import requests

    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            if requests.get(url, timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise SystemExit(f"server did not come up: {url}")


def sign(secret: str, method: str, path: str, body: bytes) -> dict:
    timestamp, nonce = str(int(time.time())), secrets.token_hex(12)
    message = "\n".join([method, path, timestamp, nonce, hashlib.sha256(body).hexdigest()])
    return {"X-Timestamp": timestamp, "X-Nonce": nonce, "Content-Type": "application/json",
            "X-Signature": hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()}


def make_orders(n: int, run_id: str) -> list[dict]:
    goods = [("1030204020000000000", "马苏里拉奶酪", "0.13", "56.50", "盒"),
             ("1010112010000000000", "白萝卜", "0.09", "4.36", "千克"),
             ("1030201010000000000", "纯牛奶", "0.13", "3.50", "盒")]
    orders = []
    for i in range(n):
        lines, total = [], Decimal(0)
        for j in range(1 + i % 3):
            code, name, rate, price, unit = goods[(i + j) % len(goods)]
            quantity = 1 + (i + j) % 4
            lines.append({"name": name, "tax_code": code, "rate": rate, "quantity": str(quantity),
                          "unit_price": price, "unit": unit})
            total += (Decimal(price) * quantity).quantize(Decimal("0.01"))
        orders.append({"order_no": f"B{run_id}-{i:06d}", "paid_at": datetime.now().astimezone().isoformat(),
                       "lines": lines, "total": str(total)})
    return orders


def push(base: str, key_id: str, secret: str, orders: list[dict], clients: int) -> float:
    import requests

    chunks = [orders[i:i + BATCH] for i in range(0, len(orders), BATCH)]
    errors: list[str] = []
    lock = threading.Lock()

    def worker():
        session = requests.Session()
        while True:
            with lock:
                if not chunks:
                    return
                chunk = chunks.pop()
            body = json.dumps({"orders": chunk}).encode()
            headers = {"X-Key-Id": key_id, **sign(secret, "POST", "/api/v1/orders/batch", body)}
            response = session.post(base + "/api/v1/orders/batch", data=body, headers=headers, timeout=120)
            created = response.json().get("summary", {}).get("201") if response.status_code == 200 else None
            if created != len(chunk):
                with lock:
                    errors.append(f"{response.status_code} {response.text[:300]}")

    started = time.monotonic()
    threads = [threading.Thread(target=worker) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise SystemExit(f"intake failed: {errors[:3]}")
    return time.monotonic() - started


def baseline(workers: int, jobs: int) -> float:
    import django_rq
    from rq import Queue

    connection = django_rq.get_connection("default")
    queue = Queue("bench-baseline", connection=connection)
    queue.empty()
    with connection.pipeline() as pipe:
        for _ in range(jobs):
            queue.enqueue("bench.pipeline.empty_job", pipeline=pipe)
        pipe.execute()
    started = time.monotonic()
    procs = [subprocess.Popen([sys.executable, "manage.py", "rqworker", "bench-baseline", "--burst"], cwd=ROOT,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for _ in range(workers)]
    for proc in procs:
        proc.wait()
    return jobs / (time.monotonic() - started)


def stop(procs) -> None:
    for proc in procs:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
    for proc in procs:
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=10000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--timeout", type=int, default=600)
    args = parser.parse_args(argv)

    prepare_environment()
    subprocess.run([sys.executable, "manage.py", "migrate", "--no-input", "-v", "0"], cwd=ROOT, check=True)
    import django

    django.setup()
    import django_rq
    import requests
    from django.conf import settings
    from django.db.models import Count

    from audit.services import Actor
    from invoicing.integrations.apikeys import api_key_create
    from invoicing.models import Invoice, Order
    from invoicing.rules.taxid import make_uscc
    from sandbox.models import UploadedInvoice
    from stores.models import Company, Store
    from stores.services import company_set_platform_credentials

    django_rq.get_connection("default").flushdb()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "TAX_PLATFORM_URL": base + "/sandbox"}
    procs = [subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "config.wsgi:application", "-b", f"127.0.0.1:{port}", "-w", "4",
         "--threads", "4", "-k", "gthread", "--log-level", "warning", "--timeout", "120"],
        cwd=ROOT, env=env, start_new_session=True)]
    try:
        wait_for(base + "/api/v1/openapi.json")
        run_id = secrets.token_hex(3)
        tax_id = make_uscc(f"91310115MA{int(run_id, 16) % 10**7:07d}")
        company = Company.objects.create(name=f"基准测试公司{run_id}", tax_id=tax_id, address="上海市", drawer_name="张三")
        unit = requests.post(base + "/sandbox/control/units", json={"nsrsbh": tax_id, "nsrmc": company.name},
                             headers={"X-Sandbox-Token": settings.SANDBOX_ADMIN_TOKEN}, timeout=10).json()
        company_set_platform_credentials(company=company, actor=Actor.system(), unit_id=unit["jrdwptbh"],
                                         user_unit_id=unit["sydwptbh"], secret=unit["secret"])
        store = Store.objects.create(company=company, code="BENCH", name="基准门店", rollout_percent=100)
        key, secret = api_key_create(store=store, actor=Actor.system(), label="bench")

        for _ in range(args.workers):
            procs.append(subprocess.Popen(
                [sys.executable, "manage.py", "rqworker", "tax", "delivery", "--with-scheduler"], cwd=ROOT, env=env,
                start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        orders = make_orders(args.orders, run_id)
        log(f"pushing {args.orders} orders with {args.clients} clients to {base}")
        started = time.monotonic()
        intake_s = push(base, key.key_id, secret, orders, args.clients)
        log(f"intake done in {intake_s:.1f}s; waiting for issue")
        issued = 0
        while time.monotonic() - started < args.timeout:
            issued = Invoice.objects.filter(company=company, status="issued").count()
            settled = Invoice.objects.filter(company=company, status__in=["failed", "cancelled"]).count()
            if issued + settled >= args.orders:
                break
            time.sleep(0.25)
        elapsed = time.monotonic() - started
        log(f"{issued} issued in {elapsed:.1f}s")
    finally:
        stop(procs)

    latencies = [
        (confirmed - received).total_seconds() * 1000
        for confirmed, received in Invoice.objects.filter(company=company, status="issued")
        .values_list("confirmed_at", "order_received_at")
    ]
    quantiles = statistics.quantiles(latencies, n=100) if len(latencies) >= 2 else [latencies[0] if latencies else 0] * 99
    numbers = set(Invoice.objects.filter(company=company, status="issued").values_list("number", flat=True))
    held = UploadedInvoice.objects.filter(unit__nsrsbh=tax_id, status="00")
    held_numbers = list(held.values_list("fphm", flat=True))
    per_order = Order.objects.filter(company=company).annotate(
        n=Count("invoices", filter=__import__("django.db.models", fromlist=["Q"]).Q(invoices__status="issued")))
    duplicates = (len(held_numbers) - len(set(held_numbers))) + per_order.filter(n__gt=1).count() + len(
        set(held_numbers) - numbers)
    lost = (args.orders - Order.objects.filter(company=company).count()) + per_order.filter(n=0).count() + len(
        numbers - set(held_numbers))
    log("measuring the baseline (RQ's default worker, empty jobs)")
    baseline_per_s = baseline(args.workers, max(200, min(args.orders, 2000)))
    result = {
        "orders": args.orders,
        "issued_per_s": round(issued / elapsed, 1) if elapsed else 0,
        "intake_per_s": round(args.orders / intake_s, 1),
        "p50_ms": round(quantiles[49]),
        "p95_ms": round(quantiles[94]),
        "baseline_per_s": round(baseline_per_s, 1),
        "duplicates": duplicates,
        "lost": lost,
    }
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main()
