"""Audit-report PDF: the chunked renderer against a naive single-table render of the same rows.

    python -m bench.reports [--events 10000] [--stores 8]

Rows are generated in memory (no database) and handed to the very function the report job
uses (audit.reports.render_audit_report). The naive render is what one would write first: one
HTML table with every row, WeasyPrint's defaults, ``font-family: sans-serif`` (the system's
default CJK font), one document. Each render runs in its own child process so that its peak
RSS (ru_maxrss) is measured alone. The last line printed is one JSON object.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from collections import Counter

ACTIONS = ["invoice.issue", "invoice.deliver", "invoice.delivered", "invoice.cancel", "invoice.reverse_request",
           "order.receive", "invoice.resubmit"]
ACTORS = ["job:pipeline", "clerk_sh001", "manager_sh001", "hq_finance", "api:pos-01"]


def generate(events: int, stores: int, seed: int = 7):
    """(header, sections) with ``events`` rows spread over ``stores`` stores, deterministic."""
    from audit.reports import ReportHeader, ReportRow, StoreSection

    rng = random.Random(seed)
    start = dt.datetime(2025, 3, 1, 8, 0, 0)
    per_store = [events // stores + (1 if i < events % stores else 0) for i in range(stores)]
    sections = []
    for s, count in enumerate(per_store):
        rows = []
        for i in range(count):
            action = rng.choice(ACTIONS)
            moment = start + dt.timedelta(seconds=i * 97 + s * 13)
            number = f"2531{7000000000000000 + s * 100000 + i:016d}"
            rows.append(ReportRow(
                created_at=f"{moment:%Y-%m-%d %H:%M:%S}", actor=rng.choice(ACTORS), action=action,
                object=f"发票 {number}", change=f"status: pending → issued；价税合计 ¥{rng.randint(1, 99999)}.{rng.randint(0, 99):02d}",
            ))
        sections.append(StoreSection(label=f"SH{s + 1:03d} 上海第{s + 1}门店", count=count,
                                     by_action=dict(Counter(r.action for r in rows)), rows=rows))
    header = ReportHeader(company="上海示例商贸有限公司", date_from=dt.date(2025, 3, 1), date_to=dt.date(2025, 3, 31),
                          actions=[], generated_at="2025-04-01 09:00:00", generated_by="bench")
    return header, sections


def naive_html(header, sections) -> str:
    from django.utils.html import escape

    rows = "".join(
        f"<tr><td>{escape(s.label)}</td><td>{escape(r.created_at)}</td><td>{escape(r.actor)}</td>"
        f"<td>{escape(r.action)}</td><td>{escape(r.object)}</td><td>{escape(r.change)}</td></tr>"
        for s in sections for r in s.rows
    )
    return (
        "<!doctype html><html><head><meta charset='utf-8'><style>"
        "@page { size: A4; margin: 16mm 12mm; @bottom-center { content: counter(page) } }"
        "body { font-family: sans-serif; font-size: 7.5pt } table { width: 100%; border-collapse: collapse }"
        "td, th { border: 0.3pt solid #ccc; padding: 0.5mm 1mm }</style></head><body>"
        f"<h1>{escape(header.company)} 审计报告</h1><table><thead><tr><th>门店</th><th>时间</th><th>操作人</th>"
        f"<th>动作</th><th>对象</th><th>变更</th></tr></thead><tbody>{rows}</tbody></table></body></html>"
    )


def child(mode: str, events: int, stores: int, out: str) -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()
    header, sections = generate(events, stores)
    from audit.reports import quiet_pdf_logs

    quiet_pdf_logs().__enter__()  # both renders without WeasyPrint's per-page INFO logging
    started = time.perf_counter()
    if mode == "report":
        from audit.reports import render_audit_report

        pages = render_audit_report(header=header, sections=sections, out=out).pages
    else:
        from weasyprint import HTML

        document = HTML(string=naive_html(header, sections)).render()
        pages = len(document.pages)
        document.write_pdf(out)
    seconds = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": round(seconds, 2), "pages": pages, "peak_mb": round(peak_mb, 1)}))


def run_child(mode: str, events: int, stores: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, f"{mode}.pdf")
        result = subprocess.run([sys.executable, "-m", "bench.reports", "--child", mode, "--events", str(events),
                                 "--stores", str(stores), "--out", out], capture_output=True, text=True, check=False)
        if result.returncode != 0:
            sys.stderr.write(result.stderr)
            raise SystemExit(f"{mode} render failed")
        data = json.loads(result.stdout.strip().splitlines()[-1])
        data["bytes"] = os.path.getsize(out)
        return data


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10000)
    parser.add_argument("--stores", type=int, default=8)
    parser.add_argument("--child", choices=["report", "naive"])
    parser.add_argument("--out")
    parser.add_argument("--skip-naive", action="store_true", help="only the chunked render (smoke tests)")
    args = parser.parse_args(argv)
    if args.child:
        child(args.child, args.events, args.stores, args.out)
        return {}
    report = run_child("report", args.events, args.stores)
    print(f"report: {args.events:,} events, {report['pages']} pages, {report['seconds']} s, peak {report['peak_mb']} MB")
    result = {"events": args.events, "stores": args.stores, "report_s": report["seconds"], "peak_mb": report["peak_mb"],
              "pages": report["pages"], "report_bytes": report["bytes"], "rows_source": "memory"}
    if not args.skip_naive:
        naive = run_child("naive", args.events, args.stores)
        print(f"naive:  {args.events:,} events, {naive['pages']} pages, {naive['seconds']} s, peak {naive['peak_mb']} MB")
        result.update(naive_s=naive["seconds"], naive_peak_mb=naive["peak_mb"], naive_pages=naive["pages"],
                      speedup=round(naive["seconds"] / report["seconds"], 2))
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main()
