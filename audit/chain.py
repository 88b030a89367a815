"""Verifying and archiving the hash-chained audit trail."""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from django.db import connection, transaction
from django.utils import timezone

from audit.models import AuditChainHead, AuditEvent, Exchange
from audit.services import row_digest

RETENTION_YEARS = 5
GENESIS = "0" * 64


@dataclass
class ChainBreak:
    company_id: int | None
    seq: int
    event_id: int | None
    reason: str


def _digest(event: AuditEvent, prev_hash: str) -> str:
    return row_digest(prev_hash=prev_hash, company_id=event.company_id, seq=event.seq,
                      created_at=event.created_at, actor_type=event.actor_type, actor_label=event.actor_label,
                      action=event.action, object_type=event.object_type, object_id=event.object_id,
                      before=event.before, after=event.after)


def verify_chain(company_id: int | None) -> ChainBreak | None:
    """Recompute one company's chain; return the first broken link, or None when intact."""
    head = AuditChainHead.objects.filter(company_id=company_id).first()
    expected_prev = head.archived_last_hash if head else GENESIS
    expected_seq = (head.archived_through_seq if head else 0) + 1
    events = AuditEvent.objects.filter(company_id=company_id).order_by("seq")
    last = None
    for event in events.iterator(chunk_size=2000):
        if event.seq != expected_seq:
            return ChainBreak(company_id, expected_seq, event.id, f"缺少第 {expected_seq} 条记录（下一条是第 {event.seq} 条）")
        if event.prev_hash != expected_prev:
            return ChainBreak(company_id, event.seq, event.id, "前一条的哈希不符：记录被删除或替换")
        if _digest(event, event.prev_hash) != event.row_hash:
            return ChainBreak(company_id, event.seq, event.id, "内容与哈希不符：记录被篡改")
        expected_prev, expected_seq, last = event.row_hash, event.seq + 1, event
    if head is None:
        return None
    # The head says how many rows the chain holds; the rows must reach it. Without this a
    # TRUNCATE (or a deleted tail) left a chain that verified because what remained was intact.
    covered_through = last.seq if last is not None else head.archived_through_seq
    if last is None and head.seq > head.archived_through_seq:
        first_missing = head.archived_through_seq + 1
        return ChainBreak(company_id, first_missing, None,
                          f"该公司已没有任何审计记录，但链头记载到第 {head.seq} 条："
                          f"第 {first_missing}–{head.seq} 条（共 {head.seq - head.archived_through_seq} 条）全部缺失")
    if head.seq > covered_through:
        return ChainBreak(company_id, covered_through + 1, None,
                          f"链尾缺失：记录只到第 {covered_through} 条，链头记载到第 {head.seq} 条，"
                          f"末尾 {head.seq - covered_through} 条被删除")
    if head.seq != covered_through or (last is not None and head.last_hash != last.row_hash):
        return ChainBreak(company_id, head.seq, None, "链尾与最后一条记录不符：链头或末尾记录被改动")
    return None


def _companies_with_invoices_but_no_chain() -> list[ChainBreak]:
    """A company that has issued invoices has audit rows; with neither rows nor a chain head,
    its whole trail (head included) was removed behind the triggers' back."""
    # Invoicing sits above the audit trail: imported here, where the check needs it, not at load.
    from invoicing.models import Invoice

    chained = AuditChainHead.objects.filter(company_id__isnull=False).values("company_id")
    orphaned = (Invoice.objects.exclude(company_id__in=chained).values_list("company_id", flat=True)
                .distinct().order_by("company_id"))
    return [ChainBreak(cid, 1, None, "该公司有发票，却没有任何审计记录，也没有链头：整条审计链被删除")
            for cid in orphaned if not AuditEvent.objects.filter(company_id=cid).exists()]


def verify_all() -> list[ChainBreak]:
    company_ids = set(AuditChainHead.objects.values_list("company_id", flat=True))
    company_ids |= set(AuditEvent.objects.values_list("company_id", flat=True).distinct())
    breaks = [b for cid in sorted(company_ids, key=lambda c: (c is None, c or 0)) if (b := verify_chain(cid))]
    return breaks + _companies_with_invoices_but_no_chain()


def _event_row(event: AuditEvent) -> dict:
    return {"id": event.id, "company_id": event.company_id, "store_id": event.store_id, "seq": event.seq,
            "created_at": event.created_at.isoformat(), "actor_type": event.actor_type,
            "actor_user_id": event.actor_user_id, "actor_label": event.actor_label, "action": event.action,
            "object_type": event.object_type, "object_id": event.object_id, "object_repr": event.object_repr,
            "before": event.before, "after": event.after, "prev_hash": event.prev_hash, "row_hash": event.row_hash}


def _exchange_row(ex: Exchange) -> dict:
    return {"id": ex.id, "company_id": ex.company_id, "store_id": ex.store_id, "created_at": ex.created_at.isoformat(),
            "provider": ex.provider, "service": ex.service, "unit_id": ex.unit_id, "trace_id": ex.trace_id,
            "request": ex.request, "response": ex.response, "http_status": ex.http_status,
            "return_code": ex.return_code, "return_message": ex.return_message, "outcome": ex.outcome,
            "duration_ms": ex.duration_ms, "refs": ex.refs}


class ArchiveError(RuntimeError):
    pass


def archive_before(*, cutoff: datetime, out_dir: Path, now: datetime | None = None) -> dict:
    """Export rows older than ``cutoff`` to gzip JSON-lines files, read them back and verify them,
    and only then delete them. The chain head keeps the last archived hash so the remaining
    chain still verifies. Refuses a cutoff less than RETENTION_YEARS old."""
    now = now or timezone.now()
    if cutoff > now.replace(year=now.year - RETENTION_YEARS):
        raise ArchiveError(f"只能归档{RETENTION_YEARS}年以前的记录：截止日期 {cutoff:%Y-%m-%d} 太近")
    out_dir.mkdir(parents=True, exist_ok=True)
    stamp = f"{cutoff:%Y%m%d}"
    summary = {"events": 0, "exchanges": 0, "files": []}
    with transaction.atomic():
        heads = list(AuditChainHead.objects.select_for_update().order_by("id"))
        for head in heads:
            if (b := verify_chain(head.company_id)) is not None:
                raise ArchiveError(f"审计链已损坏（公司 {b.company_id} 第 {b.seq} 条：{b.reason}），拒绝归档")
            events = list(AuditEvent.objects.filter(company_id=head.company_id, created_at__lt=cutoff).order_by("seq"))
            if not events:
                continue
            path = out_dir / f"audit-company{head.company_id or 0}-before-{stamp}-seq{events[0].seq}-{events[-1].seq}.jsonl.gz"
            with gzip.open(path, "wt", encoding="utf-8") as fh:
                for event in events:
                    fh.write(json.dumps(_event_row(event), ensure_ascii=False) + "\n")
            with gzip.open(path, "rt", encoding="utf-8") as fh:
                back = [json.loads(line) for line in fh]
            if [r["row_hash"] for r in back] != [e.row_hash for e in events]:
                raise ArchiveError(f"归档文件校验失败：{path}")
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL kaipiao.archiving = 'on'")
            AuditEvent.objects.filter(pk__in=[e.pk for e in events]).delete()
            head.archived_through_seq, head.archived_last_hash = events[-1].seq, events[-1].row_hash
            head.save(update_fields=["archived_through_seq", "archived_last_hash"])
            summary["events"] += len(events)
            summary["files"].append(str(path))
        exchanges = list(Exchange.objects.filter(created_at__lt=cutoff).order_by("id"))
        if exchanges:
            path = out_dir / f"exchanges-before-{stamp}.jsonl.gz"
            with gzip.open(path, "wt", encoding="utf-8") as fh:
                for ex in exchanges:
                    fh.write(json.dumps(_exchange_row(ex), ensure_ascii=False) + "\n")
            with gzip.open(path, "rt", encoding="utf-8") as fh:
                ids = [json.loads(line)["id"] for line in fh]
            if ids != [ex.id for ex in exchanges]:
                raise ArchiveError(f"归档文件校验失败：{path}")
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL kaipiao.archiving = 'on'")
            Exchange.objects.filter(pk__in=ids).delete()
            summary["exchanges"] = len(ids)
            summary["files"].append(str(path))
    return summary
