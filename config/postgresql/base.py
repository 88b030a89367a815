"""Django's PostgreSQL backend, plus one safety: a timestamp Python cannot hold does not take a page down.

PostgreSQL stores dates from 4713 BC and ``infinity``; Python's datetime holds years 1 to 9999.
One such value written past the application (an old bug let ``paid_at`` 0001-01-01+14:00 in,
stored as 1 BC) made psycopg raise on every query that read the row, so ``/invoices/`` answered
500 for every role. Such a value now loads as the nearest date Python can hold (0001-01-02 or
9999-12-30, so that converting to Asia/Shanghai cannot overflow) and is logged, so the screens
show an obviously wrong date on that one row and the rest keeps working.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

import psycopg
from django.db.backends.postgresql import base

logger = logging.getLogger("kaipiao.database")

EARLIEST = datetime.min + timedelta(days=1)
LATEST = datetime.max - timedelta(days=1)


def _tolerant(loader_class):
    class TolerantTimestamptzLoader(loader_class):
        def load(self, data):
            try:
                return super().load(data)
            except psycopg.DataError:
                text = bytes(data).decode("ascii", "replace")
                logger.warning("timestamp %r cannot be held by Python; shown as the nearest date it can", text)
                edge = EARLIEST if text.endswith("BC") or text.startswith("-") else LATEST
                return edge.replace(tzinfo=self.timezone)

    TolerantTimestamptzLoader.timezone = getattr(loader_class, "timezone", None)
    return TolerantTimestamptzLoader


class DatabaseWrapper(base.DatabaseWrapper):
    def get_new_connection(self, conn_params):
        connection = super().get_new_connection(conn_params)
        # Django reads in text format (its own loader sets the time zone): wrap that one.
        loader = connection.adapters.get_loader(connection.adapters.types["timestamptz"].oid, psycopg.pq.Format.TEXT)
        connection.adapters.register_loader("timestamptz", _tolerant(loader))
        return connection
