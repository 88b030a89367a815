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


def audit_record(*, actor: Actor, action: str, obj=None, object_type: str = "", object_id: str = "",
                 company=None, store=None, before=None, after=None, object_repr: str = "") -> AuditEvent:
    """Append one event to the company's hash chain (must run inside the change's transaction)."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit_record must be called inside the transaction of the change")
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
        object_repr = object_repr or str(obj)[:200]
    company_id = company.pk if company is not None else None
    head, _ = AuditChainHead.objects.get_or_create(company_id=company_id)
    head = AuditChainHead.objects.select_for_update().get(pk=head.pk)
    before, after = canonical(before), canonical(after)
    now = timezone.now()
    seq = head.seq + 1
    digest = row_digest(prev_hash=head.last_hash, company_id=company_id, seq=seq, created_at=now,
                        actor_type=actor.type, actor_label=actor.label, action=action,
                        object_type=object_type, object_id=object_id, before=before, after=after)
    event = AuditEvent.objects.create(
        company_id=company_id, store=store, created_at=now, actor_type=actor.type,
        actor_user=actor.user if actor.type == AuditEvent.ActorType.USER else None,
        actor_label=actor.label, action=action, object_type=object_type, object_id=str(object_id),
        object_repr=object_repr, before=before, after=after, seq=seq, prev_hash=head.last_hash,
        row_hash=digest,
    )
    head.seq, head.last_hash = seq, digest
    head.save(update_fields=["seq", "last_hash"])
    return event
