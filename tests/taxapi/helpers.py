"""Small helpers shared by the client's tests."""

from __future__ import annotations

from decimal import Decimal

from django.db import DEFAULT_DB_ALIAS, connections

from audit.models import Exchange
from invoicing.taxapi.exchange_log import log_alias


def exchange_rows(provider) -> list[Exchange]:
    """The exchange rows one provider wrote (each test's provider has a unit id of its own).

    Tests run inside a transaction, where (without the "exchange_log" alias) rows wait for
    on_commit; run those callbacks first, as the commit would, like captureOnCommitCallbacks.
    """
    connection = connections[DEFAULT_DB_ALIAS]
    pending = list(connection.run_on_commit)
    connection.run_on_commit.clear()
    for _savepoints, callback, _robust in pending:
        callback()
    # In tests the "exchange_log" connection has a test transaction of its own, so a row is
    # visible only on the connection that wrote it: look on both.
    aliases = {DEFAULT_DB_ALIAS, log_alias() or DEFAULT_DB_ALIAS}
    rows = {row.id: row for alias in aliases for row in Exchange.objects.using(alias).filter(unit_id=provider.unit_id)}
    return sorted(rows.values(), key=lambda row: (row.created_at, row.id))


def sample_invoice(number: str, *, lines: int = 5) -> dict:
    """A realistic blue 普票 in the platform's field names (what the pipeline's mapping builds)."""
    detail = []
    for i in range(1, lines + 1):
        detail.append(
            {
                "mxxh": i,
                "xmmc": f"商品{i}",
                "hwhyslwfwmc": f"*日用杂品*商品{i}",
                "spfwjc": "日用杂品",
                "ggxh": "500ml",
                "dw": "瓶",
                "sl": "2",
                "dj": "10.00",
                "je": "20.00",
                "slv": "0.13",
                "se": "2.60",
                "hsje": "22.60",
                "sphfwssflhbbm": "1060301020100000000",
                "fphxz": "00",
                "yhzcbs": "",
            }
        )
    return {
        "fphm": number,
        "lzfpbz": "0",
        "fppz": "02",
        "kprq": "2026-11-21 10:00:00",
        "xsfnsrsbh": "91310000MA1FL8XQ3B",
        "xsfmc": "上海示例餐饮管理有限公司",
        "xsfdz": "上海市黄浦区南京东路1号",
        "xsfdh": "021-12345678",
        "xsfkhh": "中国工商银行上海分行",
        "xsfzh": "1001234567890123456",
        "gmfnsrsbh": "",
        "gmfmc": "张三",
        "gmfzrrbz": "Y",
        "hjje": str(Decimal("20.00") * lines),
        "hjse": str(Decimal("2.60") * lines),
        "jshj": str(Decimal("22.60") * lines),
        "kpr": "李四",
        "bz": "",
        "fpkjfsDm": "5",
        "fpmxList": detail,
    }
