"""Does the HQ dashboard's server time stay flat as the invoice history grows?

    python -m bench.dashboard [--sizes 10000,1000000] [--stores 20] [--runs 15]

(BENCH_DASHBOARD_DB names another database, e.g. for the smoke test.)

In one run, for each size: empty the invoice tables of a database of its own
(``kaipiao_bench_dash``; on the embedded server when DATABASE_URL is unset, otherwise on the
same server as DATABASE_URL), generate the invoices with ``INSERT … SELECT generate_series``
(spread over 365 days and the stores, 98 % issued, 2 % failed) plus the matching per-store,
per-day aggregates computed from them (StoreDayStats, CategoryDayStats), and a live backlog of
a fixed size (pending/uploading work is not history), then time a logged-in HQ user's GET of
the dashboard through Django's test client: view, selectors, SQL and template render. The
same generator serves every size. The last line printed is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlparse, urlunparse

DB_NAME = os.environ.get("BENCH_DASHBOARD_DB", "kaipiao_bench_dash")
BASE_DIR = Path(__file__).resolve().parent.parent
BACKLOG = 60  # pending/uploading invoices, the same at every size
CATEGORIES = ["乳制品", "水果", "蔬菜", "饮料", "酒", "日用杂品", "餐饮服务", "现代服务"]


def _database_url() -> str:
    """Point Django at the bench database (creating it), before settings are read."""
    url = os.environ.get("DATABASE_URL", "")
    if not url:
        from config import embedded

        var = Path(os.environ.get("KAIPIAO_VAR_DIR", BASE_DIR / "var"))
        embedded.start_postgres(var / "pg")
        import pgserver

        server = pgserver.get_server(var / "pg" / "data", cleanup_mode=None)
        # A fresh database each run: the schema is whatever the migrations say today.
        if not DB_NAME.replace("_", "").isalnum():
            raise SystemExit(f"bad database name {DB_NAME!r}")
        server.psql(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE);")
        server.psql(f"CREATE DATABASE {DB_NAME};")
        return f"postgresql://postgres@/{DB_NAME}?host={(var / 'pg' / 'data').resolve()}"
    import psycopg

    parts = urlparse(url)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {DB_NAME}")
    return urlunparse(parts._replace(path="/" + DB_NAME))


def _filler(cursor, table: str, given: dict[str, str]) -> tuple[list[str], list[str]]:
    """Column list and SQL expressions for an INSERT: ``given`` plus a neutral value for every
    other NOT NULL column without a default (so the generator survives new columns)."""
    cursor.execute(
        "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = %s "
        "AND is_nullable = 'NO' AND column_default IS NULL", [table])
    columns, values = list(given), list(given.values())
    for name, data_type in cursor.fetchall():
        if name in given or name == "id":
            continue
        neutral = {"jsonb": "'{}'::jsonb", "boolean": "false", "integer": "0", "smallint": "0", "bigint": "0",
                   "numeric": "0", "uuid": "gen_random_uuid()", "bytea": "''::bytea",
                   "timestamp with time zone": "now()", "date": "current_date"}.get(data_type, "''")
        columns.append(name)
        values.append(neutral)
    return columns, values


def setup_tenants(stores: int):
    from django.contrib.auth import get_user_model

    from invoicing.rules.taxid import make_uscc
    from stores.models import Company, Membership, Store
    from stores.roles import Role

    company, _ = Company.objects.get_or_create(tax_id=make_uscc("91310115MA1BENCH0"),
                                               defaults={"name": "看板基准测试公司"})
    for i in range(stores):
        Store.objects.get_or_create(company=company, code=f"B{i:03d}",
                                    defaults={"name": f"基准门店{i}", "rollout_percent": 100, "alert_backlog": 1000})
    user, created = get_user_model().objects.get_or_create(username="bench_hq")
    Membership.objects.get_or_create(user=user, company=company, role=Role.HQ_FINANCE)
    return company, user


def generate(*, n: int, company) -> float:
    """Replace the invoices and aggregates with ``n`` generated invoices; seconds taken."""
    from django.db import connection

    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE invoicing_invoiceline, invoicing_invoiceevent, invoicing_storedaystats, "
                       "invoicing_categorydaystats, invoicing_invoice RESTART IDENTITY CASCADE")
        cursor.execute("SELECT id FROM stores_store WHERE company_id = %s ORDER BY id", [company.pk])
        store_ids = [row[0] for row in cursor.fetchall()]
        # Issued and failed history, spread over a year; amounts in whole cents from the series.
        given = {
            "company_id": str(company.pk),
            "store_id": f"(ARRAY{store_ids})[1 + g % {len(store_ids)}]",
            "kind": "'blue'", "type": "'02'",
            "status": "CASE WHEN g % 50 = 0 THEN 'failed' ELSE 'issued' END",
            "number": "CASE WHEN g % 50 = 0 THEN NULL ELSE '2531700' || lpad(g::text, 13, '0') END",
            "previous_numbers": "'[]'::jsonb", "seller": "'{}'::jsonb",
            "buyer_name": "'买家' || (g % 997)", "buyer_tax_id": "''", "buyer_is_person": "true",
            "total_amount": "((g % 50000) + 100) / 100.0", "total_tax": "round(((g % 50000) + 100) * 0.13) / 100.0",
            "total_with_tax": "((g % 50000) + 100) / 100.0 + round(((g % 50000) + 100) * 0.13) / 100.0",
            "failure_code": "CASE WHEN g % 50 = 0 THEN (ARRAY['validation','platform_refused','quota'])[1 + g % 3] "
                            "ELSE '' END",
            "created_at": "now() - (g % 365) * interval '1 day' - (g % 600) * interval '1 minute'",
            "updated_at": "now() - (g % 365) * interval '1 day'",
            "issued_at": "now() - (g % 365) * interval '1 day'",
            "confirmed_at": "now() - (g % 365) * interval '1 day' + (g % 40) * interval '1 second'",
            "order_received_at": "now() - (g % 365) * interval '1 day' - interval '1 minute'",
        }
        columns, values = _filler(cursor, "invoicing_invoice", given)
        cursor.execute(f"INSERT INTO invoicing_invoice ({', '.join(columns)}) "  # noqa: S608 - generated here
                       f"SELECT {', '.join(values)} FROM generate_series(1, {int(n - BACKLOG)}) g")
        backlog = {**given, "status": "CASE WHEN g % 2 = 0 THEN 'pending' ELSE 'uploading' END", "number": "NULL",
                   "failure_code": "''", "created_at": "now() - g * interval '1 minute'",
                   "updated_at": "now() - g * interval '1 minute'", "confirmed_at": "NULL", "issued_at": "NULL"}
        columns, values = _filler(cursor, "invoicing_invoice", backlog)
        cursor.execute(f"INSERT INTO invoicing_invoice ({', '.join(columns)}) "  # noqa: S608
                       f"SELECT {', '.join(values)} FROM generate_series(1, {BACKLOG}) g")
        # The aggregates, computed from those invoices exactly as the upserts would have kept them.
        day = "(confirmed_at AT TIME ZONE 'Asia/Shanghai')::date"
        failed_day = "(updated_at AT TIME ZONE 'Asia/Shanghai')::date"
        cursor.execute(f"""
            INSERT INTO invoicing_storedaystats (store_id, company_id, day, orders_received, issued_count,
                issued_amount, failed_count, failed_by_reason, latency_buckets, latency_sum_ms, latency_count,
                delivered_count, red_issued_count, red_issued_amount)
            SELECT store_id, company_id, d, sum(issued), sum(issued), sum(amount), sum(failed),
                   coalesce(jsonb_object_agg(reason, failed_n) FILTER (WHERE reason IS NOT NULL), '{{}}'::jsonb),
                   jsonb_build_object('1000', floor(sum(issued) * 6 / 10)::bigint,
                                      '5000', (sum(issued) - floor(sum(issued) * 6 / 10))::bigint),
                   sum(issued) * 1500, sum(issued), floor(sum(issued) * 9 / 10), 0, 0
            FROM (
                SELECT store_id, company_id, d, reason, sum(issued) AS issued, sum(amount) AS amount,
                       sum(failed) AS failed, sum(failed) AS failed_n
                FROM (SELECT store_id, company_id,
                             CASE WHEN status = 'issued' THEN {day} ELSE {failed_day} END AS d,
                             CASE WHEN status = 'failed' THEN failure_code END AS reason,
                             (status = 'issued')::int AS issued, CASE WHEN status = 'issued' THEN total_with_tax
                             ELSE 0 END AS amount, (status = 'failed')::int AS failed
                      FROM invoicing_invoice WHERE status IN ('issued', 'failed')) x
                GROUP BY store_id, company_id, d, reason
            ) y GROUP BY store_id, company_id, d
        """)  # noqa: S608 - fixed SQL
        cursor.execute(f"""
            INSERT INTO invoicing_categorydaystats (store_id, company_id, day, category, issued_count, issued_amount)
            SELECT store_id, company_id, {day}, (ARRAY{CATEGORIES})[1 + id % {len(CATEGORIES)}], count(*),
                   sum(total_with_tax)
            FROM invoicing_invoice WHERE status = 'issued' GROUP BY 1, 2, 3, 4
        """)  # noqa: S608 - fixed SQL
        cursor.execute("ANALYZE invoicing_invoice; ANALYZE invoicing_storedaystats; ANALYZE invoicing_categorydaystats")
    return time.perf_counter() - started


def time_dashboard(*, user, runs: int) -> tuple[float, int]:
    from django.test import Client
    from django.urls import reverse

    client = Client()
    client.force_login(user)
    url = reverse("invoicing:dashboard")
    for _ in range(3):  # warm caches, connections, template loading
        response = client.get(url)
        assert response.status_code == 200, response.status_code
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        response = client.get(url)
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples), len(response.content)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,1000000")
    parser.add_argument("--stores", type=int, default=20)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]

    sys.path.insert(0, str(BASE_DIR))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ["DATABASE_URL"] = _database_url()
    import django

    django.setup()
    from django.core.management import call_command
    from django.test.utils import setup_test_environment

    setup_test_environment()  # lets the test client's host through ALLOWED_HOSTS
    call_command("migrate", verbosity=0, interactive=False)
    company, user = setup_tenants(args.stores)
    result: dict = {"stores": args.stores, "runs": args.runs}
    for n in sizes:
        seconds = generate(n=n, company=company)
        ms, size = time_dashboard(user=user, runs=args.runs)
        label = f"{n // 1_000_000}m" if n % 1_000_000 == 0 else f"{n // 1000}k" if n % 1000 == 0 else str(n)
        result[f"ms_at_{label}"] = round(ms, 1)
        result[f"generate_s_at_{label}"] = round(seconds, 1)
        print(f"{n:>9} invoices: dashboard {ms:.1f} ms (median of {args.runs}), {size} bytes; "
              f"generated in {seconds:.1f} s", flush=True)
    keys = [k for k in result if k.startswith("ms_at_")]
    if len(keys) >= 2:
        result["ratio"] = round(result[keys[-1]] / result[keys[0]], 2) if result[keys[0]] else None
    print(json.dumps(result, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
