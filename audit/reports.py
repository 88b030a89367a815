"""The audit-report PDF: a summary, then one section per store, page numbers and totals.

Why not one big HTML table: in WeasyPrint a table cell costs layout *and* drawing (borders,
one text box per cell) — about 4 ms per 5-cell row here, so 10,000 events take about a minute
and one document holds all of them in memory. Measured alternatives (bench/reports.py):

- each event is one line of monospaced text (WenQuanYi Micro Hei Mono: half-width Latin,
  full-width CJK) padded to column widths by display width — about 4× cheaper than cells;
- rows are laid out in chunks of a few hundred (each its own small document), several chunks'
  pages are combined into one PDF part, so CJK font subsetting (about 1.5 s with WenQuanYi,
  9 s with Noto CJK) runs once per part rather than once per chunk; bold is avoided because a
  synthetic bold face is a second font to subset;
- the parts are concatenated with pypdf. Only one part's layout is in memory at a time and rows
  come from an iterator, so memory stays bounded whatever the number of events;
- WeasyPrint's and fontTools' INFO logging (one line per page and per glyph list) is silenced
  while rendering: under Django's root INFO handler it cost seconds per report.

Page numbers are CSS page counters: each chunk starts its counter where the previous one ended
(``@page :first { counter-reset: page N }``). The summary is rendered first to learn its length
and again at the end, when the total page count is known.

This module knows nothing of the database: callers pass a header and sections whose ``rows``
is any iterable of ``ReportRow`` (audit/report_jobs.py reads them from AuditEvent; the
benchmark generates them).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import logging
import tempfile
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path

from django.utils.html import escape

from invoicing.documents.fonts import CJK_FONT_STACK, require_cjk_font

# The monospaced face of the same family: half-width Latin, full-width CJK, so padded lines align.
MONO_STACK = '"WenQuanYi Micro Hei Mono", "Noto Sans Mono CJK SC", monospace'

CHUNK_ROWS = 500  # rows per laid-out document
PART_ROWS = 2500  # rows per written PDF part: one font subsetting per part, bounded memory


@dataclass
class ReportRow:
    created_at: str
    actor: str
    action: str
    object: str
    change: str


@dataclass
class StoreSection:
    label: str
    count: int
    by_action: dict[str, int]
    rows: Iterable[ReportRow] = field(repr=False, default=())


@dataclass
class ReportHeader:
    company: str
    date_from: dt.date
    date_to: dt.date
    actions: list[str]
    generated_at: str
    generated_by: str

    @property
    def period(self) -> str:
        return f"{self.date_from:%Y-%m-%d} 至 {self.date_to:%Y-%m-%d}"


@dataclass
class RenderResult:
    pages: int
    rows: int


def css_string(text: str) -> str:
    """A CSS string literal that cannot end the string or the <style> element; newlines kept as \\A."""
    lines = [part.replace("\r", " ").replace("\t", " ") for part in str(text).split("\n")]
    escaped = [line.replace("\\", "\\\\").replace('"', '\\"').replace("<", "\\3c ") for line in lines]
    return '"' + "\\A ".join(escaped) + '"'


# Event listing columns: (label, display width in half-width cells). Rows are printed as
# monospaced lines padded to these widths (CJK characters count two), which WeasyPrint lays
# out as plain text — about four times cheaper than table cells, and the reason the report
# scales (see the module docstring and bench/reports.py).
COLUMNS = (("时间", 19), ("操作人", 14), ("动作", 24), ("对象", 28), ("变更", 58))


def _cell_width(char: str) -> int:
    return 2 if unicodedata.east_asian_width(char) in "WF" else 1


def fit(text: str, width: int) -> str:
    """``text`` cut and padded to exactly ``width`` display cells (CJK = 2 cells)."""
    out, used = [], 0
    for char in " ".join(str(text).split()):
        w = _cell_width(char)
        if used + w > width:
            break
        out.append(char)
        used += w
    return "".join(out) + " " * (width - used)


def ledger_line(values) -> str:
    return " ".join(fit(value, width) for value, (_, width) in zip(values, COLUMNS, strict=True)).rstrip()


COLUMN_LABELS = ledger_line([label for label, _ in COLUMNS])


def _page_css(header: ReportHeader, where: str, first_page: int, *, columns: bool) -> str:
    running = f"{header.company} 审计报告 {header.period} · {where}"
    if columns:
        running += "\n" + COLUMN_LABELS
    return f"""
@page {{ size: A4; margin: 18mm 12mm 14mm 12mm;
  @top-left {{ content: {css_string(running)}; white-space: pre; font-family: {MONO_STACK}; font-size: 7pt;
               color: #444; vertical-align: bottom; padding-bottom: 1.5mm; border-bottom: 0.5pt solid #888; }}
  @bottom-center {{ content: "第 " counter(page) " 页"; font-size: 7.5pt; color: #555; }} }}
@page :first {{ counter-reset: page {first_page}; }}
html {{ font-family: {CJK_FONT_STACK}; font-size: 7.5pt; color: #1f2328; }}
h1 {{ font-size: 15pt; font-weight: normal; margin: 0 0 3mm; }}
h2 {{ font-size: 11pt; font-weight: normal; margin: 0 0 2mm; }}
table {{ width: 100%; border-collapse: collapse; }}
th {{ text-align: left; border-bottom: 0.8pt solid #444; padding: 0.8mm 1mm; font-weight: normal; color: #444; }}
td {{ border-bottom: 0.3pt solid #ccc; padding: 0.6mm 1mm; }}
td.num, th.num {{ text-align: right; }}
.meta td {{ border: 0; padding: 0.4mm 1mm; }}
.totals td {{ border-top: 0.8pt solid #444; }}
.section-totals {{ margin-top: 3mm; width: 60%; }}
.ledger div {{ font-family: {MONO_STACK}; font-size: 7pt; white-space: pre; line-height: 1.35; }}
.ledger div:nth-child(even) {{ background: #f1f3f5; }}
"""


def _doc(css: str, body: str) -> str:
    return f'<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><style>{css}</style></head><body>{body}</body></html>'


def _rows_html(rows: list[ReportRow]) -> str:
    return "".join(
        f"<div>{escape(ledger_line((r.created_at, r.actor, r.action, r.object, r.change)))}</div>" for r in rows
    )


def _counts_table(by_action: dict[str, int], total_label: str) -> str:
    body = "".join(f"<tr><td>{escape(a)}</td><td class='num'>{n:,}</td></tr>" for a, n in sorted(by_action.items()))
    total = sum(by_action.values())
    return (f"<table class='section-totals'><thead><tr><th>动作</th><th class='num'>条数</th></tr></thead>"
            f"<tbody>{body}<tr class='totals'><td>{escape(total_label)}</td><td class='num'>{total:,}</td></tr></tbody></table>")


def summary_html(header: ReportHeader, sections: list[StoreSection], *, total_pages: int | None) -> str:
    actions = sorted({a for s in sections for a in s.by_action})
    totals = {a: sum(s.by_action.get(a, 0) for s in sections) for a in actions}
    grand = sum(totals.values())
    head = "".join(f"<th class='num'>{escape(a)}</th>" for a in actions)
    lines = "".join(
        f"<tr><td>{escape(s.label)}</td>" + "".join(f"<td class='num'>{s.by_action.get(a, 0):,}</td>" for a in actions)
        + f"<td class='num'>{s.count:,}</td></tr>" for s in sections
    )
    foot = ("<tr class='totals'><td>合计</td>" + "".join(f"<td class='num'>{totals[a]:,}</td>" for a in actions)
            + f"<td class='num'>{grand:,}</td></tr>")
    pages = f"{total_pages:,}" if total_pages is not None else "—"
    meta = (
        f"<table class='meta'><tr><td style='width:20%'>纳税主体</td><td>{escape(header.company)}</td></tr>"
        f"<tr><td>期间</td><td>{escape(header.period)}</td></tr>"
        f"<tr><td>门店</td><td>{escape('、'.join(s.label for s in sections) or '（无）')}</td></tr>"
        f"<tr><td>事件类型</td><td>{escape('、'.join(header.actions) or '全部')}</td></tr>"
        f"<tr><td>生成</td><td>{escape(header.generated_at)}，{escape(header.generated_by)}</td></tr>"
        f"<tr><td>总计</td><td>{grand:,} 条记录，共 {pages} 页</td></tr></table>"
    )
    table = (f"<h2 style='margin-top:5mm'>按门店与事件类型汇总</h2><table><thead><tr><th>门店</th>{head}"
             f"<th class='num'>合计</th></tr></thead><tbody>{lines}{foot}</tbody></table>")
    return _doc(_page_css(header, "汇总", 1, columns=False), f"<h1>审计报告</h1>{meta}{table}")


def _chunks(rows: Iterable[ReportRow], size: int) -> Iterator[tuple[list[ReportRow], bool]]:
    """(chunk, is_last) pairs; always at least one (possibly empty) chunk."""
    iterator = iter(rows)
    chunk = list(islice(iterator, size))
    while True:
        following = list(islice(iterator, size))
        yield chunk, not following
        if not following:
            return
        chunk = following


class _PartWriter:
    """Collects laid-out documents and writes them as one PDF part when enough rows are pending."""

    def __init__(self, workdir: Path):
        self.workdir, self.documents, self.pending_rows, self.parts = workdir, [], 0, []

    def add(self, document, rows: int) -> None:
        self.documents.append(document)
        self.pending_rows += rows
        if self.pending_rows >= PART_ROWS:
            self.flush()

    def flush(self) -> None:
        if not self.documents:
            return
        pages = [page for document in self.documents for page in document.pages]
        path = self.workdir / f"part-{len(self.parts):05d}.pdf"
        self.documents[0].copy(pages).write_pdf(path)
        self.parts.append(path)
        self.documents, self.pending_rows = [], 0


@contextlib.contextmanager
def quiet_pdf_logs():
    loggers = [logging.getLogger(name) for name in ("fontTools", "weasyprint.progress")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)


def render_audit_report(*, header: ReportHeader, sections: list[StoreSection], out,
                        progress: Callable[[int, int], None] | None = None) -> RenderResult:
    """Write the report PDF to ``out`` (a path or a binary file object)."""
    with quiet_pdf_logs():
        return _render(header=header, sections=sections, out=out, progress=progress)


def _render(*, header, sections, out, progress) -> RenderResult:
    from pypdf import PdfWriter
    from weasyprint import HTML

    require_cjk_font()
    total_rows = sum(s.count for s in sections)
    summary_pages = len(HTML(string=summary_html(header, sections, total_pages=None)).render().pages)
    page, done = summary_pages, 0
    with tempfile.TemporaryDirectory(prefix="kaipiao-report-") as tmp:
        parts = _PartWriter(Path(tmp))
        for section in sections:
            where = f"门店：{section.label}"
            for index, (chunk, last) in enumerate(_chunks(section.rows, CHUNK_ROWS)):
                body = f"<h2>{escape(section.label)}</h2><p>{section.count:,} 条记录</p>" if index == 0 else ""
                body += f"<div class='ledger'>{_rows_html(chunk)}</div>" if chunk else ""
                if last:
                    body += _counts_table(section.by_action, f"{section.label} 合计")
                document = HTML(string=_doc(_page_css(header, where, page + 1, columns=True), body)).render()
                page += len(document.pages)
                done += len(chunk)
                parts.add(document, len(chunk) or 1)
                if progress:
                    progress(done, total_rows)
        parts.flush()
        summary = HTML(string=summary_html(header, sections, total_pages=page)).write_pdf()
        writer = PdfWriter()
        writer.append(io.BytesIO(summary))
        for path in parts.parts:
            writer.append(str(path))
        writer.add_metadata({"/Title": f"{header.company} 审计报告 {header.period}", "/Producer": "Kaipiao"})
        writer.write(out)
        writer.close()
    return RenderResult(pages=page, rows=done)
