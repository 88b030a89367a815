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

Two connections in one process can wait for each other where PostgreSQL cannot see it: the
row's foreign keys to the company and store take a KEY SHARE lock, which a caller holding
``SELECT ... FOR UPDATE`` on that company blocks until it commits — and it commits only after
this call returns. So the write on the alias checks its keys at once under a short
``lock_timeout``; if it cannot (row locked, or the company not yet committed), it falls back to
path 2/3 on ``default``. Callers that hold a company or store row across a platform call
should lock it with ``select_for_update(no_key=True)``, which does not block the check.

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

from audit.models import Exchange
from invoicing.models import Invoice

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


#: How long the write on the dedicated connection may wait for a row lock (see the docstring).
LOCK_TIMEOUT_MS = 2000


def record_exchange(record: ExchangeRecord) -> None:
    """Persist ``record`` as soon as it can be made durable (see the module docstring)."""
    alias = log_alias()
    if alias is not None:
        try:
            _save_independently(record, using=alias)
            return
        except DatabaseError as exc:
            logger.warning(
                "exchange log: own connection failed (%s), writing with the caller: service=%s trace_id=%s",
                type(exc).__name__,
                record.service,
                record.trace_id,
            )
    if transaction.get_connection(DEFAULT_DB_ALIAS).in_atomic_block:
        transaction.on_commit(lambda: _save(record, using=DEFAULT_DB_ALIAS), using=DEFAULT_DB_ALIAS, robust=True)
    else:
        _save(record, using=DEFAULT_DB_ALIAS)


def _save_independently(record: ExchangeRecord, *, using: str) -> None:
    """Insert on the dedicated connection, checking foreign keys now and waiting for locks briefly."""
    from django.db import connections

    with transaction.atomic(using=using):
        with connections[using].cursor() as cursor:
            # Parameters cannot be bound in SET; the value is our own integer.
            cursor.execute(f"SET LOCAL lock_timeout = {int(LOCK_TIMEOUT_MS)}")
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        _exchange_row(record, using=using)
        with connections[using].cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def _store_of(record: ExchangeRecord, *, using: str) -> int | None:
    """The store a call concerned: the caller's, else the one store of the invoices its refs name.

    Uploads, results, red-letter forms and status queries name invoice numbers; when all of them
    belong to one store the row is that store's (its manager sees it). A batch of several stores,
    or a company-level call (quota, number blocks, taxpayer info), stays without a store.
    """
    if record.store_id is not None or record.company_id is None or not record.refs:
        return record.store_id
    stores = set(Invoice.objects.using(using).filter(company_id=record.company_id, number__in=record.refs[:200])
                 .values_list("store_id", flat=True).distinct()[:2])
    return stores.pop() if len(stores) == 1 else None


def _exchange_row(record: ExchangeRecord, *, using: str):
    return Exchange.objects.using(using).create(
        company_id=record.company_id,
        store_id=_store_of(record, using=using),
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


def _save(record: ExchangeRecord, *, using: str) -> None:
    """The fallback write with the caller's connection; a failure is logged, never raised."""
    try:
        _exchange_row(record, using=using)
    except DatabaseError:
        logger.exception(
            "exchange log row lost: service=%s trace_id=%s outcome=%s company=%s refs=%s",
            record.service,
            record.trace_id,
            record.outcome,
            record.company_id,
            record.refs[:20],
        )
