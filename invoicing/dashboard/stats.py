"""Per-store, per-day figures for the dashboard, kept current in the transaction of each change.

One ``INSERT … ON CONFLICT DO UPDATE`` per (store, day) touched by a change: increments add up
in the database, so concurrent workers never overwrite each other's counts.
"""

from __future__ import annotations

import json
from collections import defaultdict
from decimal import Decimal

from django.db import connection

from invoicing.models import Invoice, InvoiceLine
from invoicing.models.dashboard import CategoryDayStats
from invoicing.rules.clock import SHANGHAI
from invoicing.taxcodes.table import short_name_of

# Upper bounds (ms) of the latency histogram buckets; "inf" catches the rest.
LATENCY_BUCKETS_MS = [500, 1000, 2000, 5000, 10000, 30000, 60000, 300000, 1800000, 3600000, 86400000]

_COUNTERS = ("orders_received", "issued_count", "issued_amount", "failed_count", "latency_sum_ms",
             "latency_count", "delivered_count", "red_issued_count", "red_issued_amount")
_JSON_COUNTERS = ("failed_by_reason", "latency_buckets")


def local_day(moment):
    return moment.astimezone(SHANGHAI).date()


def latency_bucket(ms: int) -> str:
    for bound in LATENCY_BUCKETS_MS:
        if ms <= bound:
            return str(bound)
    return "inf"


class StatsDelta:
    """Accumulates increments per (store, company, day), then writes them in one statement each."""

    def __init__(self):
        self.rows: dict[tuple, dict] = defaultdict(lambda: {"json": defaultdict(lambda: defaultdict(int))})

    def add(self, *, store_id: int, company_id: int, moment, **increments) -> None:
        row = self.rows[(store_id, company_id, local_day(moment))]
        for name, value in increments.items():
            row[name] = row.get(name, 0) + value

    def count(self, *, store_id: int, company_id: int, moment, field: str, key: str) -> None:
        self.rows[(store_id, company_id, local_day(moment))]["json"][field][key] += 1

    def order_received(self, order) -> None:
        self.add(store_id=order.store_id, company_id=order.company_id, moment=order.received_at, orders_received=1)

    def invoice_issued(self, invoice) -> None:
        moment = invoice.confirmed_at
        if invoice.kind == "red":
            self.add(store_id=invoice.store_id, company_id=invoice.company_id, moment=moment,
                     red_issued_count=1, red_issued_amount=invoice.total_with_tax)
            return
        self.add(store_id=invoice.store_id, company_id=invoice.company_id, moment=moment,
                 issued_count=1, issued_amount=invoice.total_with_tax)
        if invoice.order_received_at:
            ms = max(int((moment - invoice.order_received_at).total_seconds() * 1000), 0)
            self.add(store_id=invoice.store_id, company_id=invoice.company_id, moment=moment,
                     latency_sum_ms=ms, latency_count=1)
            self.count(store_id=invoice.store_id, company_id=invoice.company_id, moment=moment,
                       field="latency_buckets", key=latency_bucket(ms))

    def invoice_failed(self, invoice, *, moment) -> None:
        self.add(store_id=invoice.store_id, company_id=invoice.company_id, moment=moment, failed_count=1)
        self.count(store_id=invoice.store_id, company_id=invoice.company_id, moment=moment,
                   field="failed_by_reason", key=invoice.failure_code or "other")

    def write(self) -> None:
        if not self.rows:
            return
        columns = ["store_id", "company_id", "day", *_COUNTERS, *_JSON_COUNTERS]
        updates = [f"{name} = s.{name} + EXCLUDED.{name}" for name in _COUNTERS]
        updates += [
            f"{name} = (SELECT coalesce"  # noqa: S608 - fixed column names
            f"(jsonb_object_agg(k, total), '{{}}'::jsonb) FROM ("
            f"SELECT k, sum(v::bigint) AS total FROM (SELECT key AS k, value AS v FROM jsonb_each_text(s.{name}) "
            f"UNION ALL SELECT key, value FROM jsonb_each_text(EXCLUDED.{name})) u GROUP BY k) g)"
            for name in _JSON_COUNTERS
        ]
        placeholders = "(" + ", ".join(["%s"] * 3 + ["%s"] * len(_COUNTERS) + ["%s::jsonb"] * len(_JSON_COUNTERS)) + ")"
        params: list = []
        values_sql = []
        for (store_id, company_id, day), row in sorted(self.rows.items(), key=lambda item: (item[0][0], item[0][2])):
            values_sql.append(placeholders)
            params += [store_id, company_id, day]
            params += [row.get(name, Decimal(0) if name.endswith("amount") else 0) for name in _COUNTERS]
            params += [json.dumps(row["json"].get(name, {})) for name in _JSON_COUNTERS]
        sql = (
            f"INSERT INTO invoicing_storedaystats AS s ({', '.join(columns)}) VALUES {', '.join(values_sql)} "  # noqa: S608 - fixed column names
            f"ON CONFLICT (store_id, day) DO UPDATE SET {', '.join(updates)}"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
        self.rows.clear()


def category_stats_record_issued(*, invoices) -> None:
    """Add issued blue invoices to the per-store, per-day, per-tax-category figures.

    For the pipeline's stats upsert to call in the transaction that marks invoices issued (one
    query for the lines, one upsert). Red invoices subtract their (negative) amounts so the
    share shows what stays sold.
    """
    invoices = [inv for inv in invoices if inv.status == Invoice.Status.ISSUED and inv.confirmed_at]
    if not invoices:
        return
    by_id = {inv.pk: inv for inv in invoices}
    rows: dict[tuple, list] = defaultdict(lambda: [0, Decimal(0)])
    counted: set[tuple] = set()
    for invoice_id, tax_code, amount, tax in (InvoiceLine.objects.filter(invoice_id__in=by_id)
                                              .values_list("invoice_id", "tax_code", "amount", "tax")):
        inv = by_id[invoice_id]
        key = (inv.store_id, inv.company_id, local_day(inv.confirmed_at), short_name_of(tax_code) or "其他")
        rows[key][1] += amount + tax
        if (invoice_id, key) not in counted:
            counted.add((invoice_id, key))
            rows[key][0] += -1 if inv.kind == Invoice.Kind.RED else 1
    table = CategoryDayStats._meta.db_table
    values, params = [], []
    for (store_id, company_id, day, category), (count, amount) in sorted(rows.items()):
        values.append("(%s, %s, %s, %s, %s, %s)")
        params += [store_id, company_id, day, category[:40], count, amount]
    sql = (f"INSERT INTO {table} AS s (store_id, company_id, day, category, issued_count, issued_amount) "  # noqa: S608 - fixed names
           f"VALUES {', '.join(values)} ON CONFLICT (store_id, day, category) DO UPDATE SET "
           "issued_count = s.issued_count + EXCLUDED.issued_count, "
           "issued_amount = s.issued_amount + EXCLUDED.issued_amount")
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
