"""Write one ``audit.models.Exchange`` row per platform call, and make it outlive the caller.

The row matters most exactly when the caller's transaction rolls back: an upload the platform
accepted while our invoice rows vanished is found again through this log. So:

1. When ``settings.DATABASES`` has an ``"exchange_log"`` alias (a second connection to the same
   database), the row is written there at once, in its own autocommit transaction, and
   survives any rollback of the caller. **This is the intended production setup.**
2. Without that alias, outside any atomic block, the row is written at once on ``default``.
3. Without that alias, inside an atomic block, the row is written by ``transaction.on_commit``:
   it appears only if the caller commits. That is the documented weakness of running without
   the alias, and the reason to configure it.

The row holds only decrypted business JSON and our classification: never the key, the
encrypted body, the signature or the nonce (the provider does not even pass them here).
A failure to write the row is logged with its ids and swallowed: it must not turn an upload the
platform accepted into an apparent failure that someone then repeats.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, transaction

logger = logging.getLogger(__name__)

EXCHANGE_LOG_ALIAS = "exchange_log"


@dataclass
class ExchangeRecord:
    """What one call left behind; field names are those of ``audit.models.Exchange``."""

    created_at: datetime
    provider: str
    service: str
    company_id: int | None = None
    store_id: int | None = None
    unit_id: str = ""
    trace_id: str = ""
    request: dict | None = None
    response: dict | None = None
    http_status: int | None = None
    return_code: str = ""
    return_message: str = ""
    outcome: str = "unknown"
    duration_ms: int = 0
    refs: list = field(default_factory=list)


def log_alias() -> str | None:
    """The dedicated alias when configured, else None (use default, see the module docstring)."""
    return EXCHANGE_LOG_ALIAS if EXCHANGE_LOG_ALIAS in settings.DATABASES else None


def record_exchange(record: ExchangeRecord) -> None:
    """Persist ``record`` as soon as it can be made durable (see the module docstring)."""
    alias = log_alias()
    if alias is not None:
        _save(record, using=alias)
    elif transaction.get_connection(DEFAULT_DB_ALIAS).in_atomic_block:
        transaction.on_commit(lambda: _save(record, using=DEFAULT_DB_ALIAS), using=DEFAULT_DB_ALIAS, robust=True)
    else:
        _save(record, using=DEFAULT_DB_ALIAS)


def _save(record: ExchangeRecord, *, using: str) -> None:
    from audit.models import Exchange

    try:
        Exchange.objects.using(using).create(
            company_id=record.company_id,
            store_id=record.store_id,
            created_at=record.created_at,
            provider=record.provider,
            service=record.service,
            unit_id=record.unit_id[:40],
            trace_id=record.trace_id[:40],
            request=record.request,
            response=record.response,
            http_status=record.http_status,
            return_code=record.return_code[:20],
            return_message=record.return_message,
            outcome=record.outcome,
            duration_ms=max(0, record.duration_ms),
            refs=record.refs,
        )
    except DatabaseError:
        logger.exception(
            "exchange log row lost: service=%s trace_id=%s outcome=%s company=%s refs=%s",
            record.service,
            record.trace_id,
            record.outcome,
            record.company_id,
            record.refs[:20],
        )
