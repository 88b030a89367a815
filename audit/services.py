"""Writing the audit trail. Call audit_record inside the transaction that makes the change."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from audit.models import AuditChainHead, AuditEvent


@dataclass(frozen=True)
class Actor:
    """Who made a change: a user, an API key or a job."""

    type: str
    label: str
    user: object | None = None

    @classmethod
    def for_user(cls, user) -> Actor:
        return cls(type=AuditEvent.ActorType.USER, label=user.get_username(), user=user)

    @classmethod
    def job(cls, name: str) -> Actor:
        return cls(type=AuditEvent.ActorType.JOB, label=name)

    @classmethod
    def api_key(cls, key_label: str) -> Actor:
        return cls(type=AuditEvent.ActorType.API_KEY, label=key_label)

    @classmethod
    def system(cls) -> Actor:
        return cls(type=AuditEvent.ActorType.SYSTEM, label="system")


def _json_default(value):
    if isinstance(value, Decimal):
        return str(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def canonical(value) -> object:
    """JSON-safe form of a snapshot (Decimals and dates as strings) so hashes are stable."""
    return json.loads(json.dumps(value, default=_json_default, sort_keys=True, ensure_ascii=False))


def row_digest(*, prev_hash: str, company_id, seq: int, created_at, actor_type: str, actor_label: str,
               action: str, object_type: str, object_id: str, before, after) -> str:
    payload = json.dumps(
        [prev_hash, company_id, seq, created_at.isoformat(), actor_type, actor_label, action,
         object_type, str(object_id), before, after],
        sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=_json_default,
    )
    return hashlib.sha256(payload.encode()).hexdigest()


@dataclass
class AuditEntry:
    """One change to append: the object (or its type/id/repr given explicitly) and before/after."""

    actor: Actor
    action: str
    obj: object = None
    company: object = None
    store: object = None
    before: object = None
    after: object = None
    object_type: str = ""
    object_id: str = ""
    object_repr: str = ""


def audit_record(*, actor: Actor, action: str, obj=None, object_type: str = "", object_id: str = "",
                 company=None, store=None, before=None, after=None, object_repr: str = "") -> AuditEvent:
    """Append one event to the company's hash chain (must run inside the change's transaction)."""
    (event,) = audit_record_many([AuditEntry(
        actor=actor, action=action, obj=obj, company=company, store=store, before=before, after=after,
        object_type=object_type, object_id=object_id, object_repr=object_repr)])
    return event


def audit_record_many(entries: list[AuditEntry]) -> list[AuditEvent]:
    """Append entries to their companies' chains, in order, inside the change's transaction.

    A batch of 100 invoices changing state needs 100 rows; appending them one by one costs a few
    queries each under the company's chain lock. This takes each head's lock once, links the rows
    with row_digest, inserts them with one bulk_create and moves the head once.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit_record must be called inside the transaction of the change")
    by_company: dict = {}
    for entry in entries:
        by_company.setdefault(entry.company.pk if entry.company is not None else None, []).append(entry)
    events: list[AuditEvent] = []
    # A fixed lock order across companies, so two batches never wait on each other in a cycle.
    for company_id in sorted(by_company, key=lambda c: (c is not None, c or 0)):
        events += _append(company_id, by_company[company_id])
    return events


def _append(company_id, entries: list[AuditEntry]) -> list[AuditEvent]:
    head, _ = AuditChainHead.objects.get_or_create(company_id=company_id)
    head = AuditChainHead.objects.select_for_update().get(pk=head.pk)
    now = timezone.now()
    seq, prev_hash = head.seq, head.last_hash
    events = []
    for entry in entries:
        seq += 1
        object_type, object_id, object_repr = entry.object_type, str(entry.object_id), entry.object_repr
        if entry.obj is not None:
            object_type = object_type or entry.obj._meta.label_lower
            object_id = object_id or str(entry.obj.pk)
            object_repr = object_repr or str(entry.obj)[:200]
        before, after = canonical(entry.before), canonical(entry.after)
        digest = row_digest(prev_hash=prev_hash, company_id=company_id, seq=seq, created_at=now,
                            actor_type=entry.actor.type, actor_label=entry.actor.label, action=entry.action,
                            object_type=object_type, object_id=object_id, before=before, after=after)
        events.append(AuditEvent(
            company_id=company_id, store=entry.store, created_at=now, actor_type=entry.actor.type,
            actor_user=entry.actor.user if entry.actor.type == AuditEvent.ActorType.USER else None,
            actor_label=entry.actor.label, action=entry.action, object_type=object_type, object_id=object_id,
            object_repr=object_repr, before=before, after=after, seq=seq, prev_hash=prev_hash, row_hash=digest,
        ))
        prev_hash = digest
    AuditEvent.objects.bulk_create(events, batch_size=1000)
    head.seq, head.last_hash = seq, prev_hash
    head.save(update_fields=["seq", "last_hash"])
    return events
