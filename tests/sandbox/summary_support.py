"""Issue invoices on the sandbox in an earlier month: the platform's clock is moved there (and the
envelopes are stamped with it) for the upload, then put back. Shared by the summary tests."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from invoicing.taxapi import crypto
from tests.sandbox.platform import SHANGHAI, PlatformClient, control, invoice, kprq_text, line


def last_month_start(now: datetime | None = None) -> datetime:
    now = (now or datetime.now(SHANGHAI)).astimezone(SHANGHAI)
    year, month = (now.year, now.month - 1) if now.month > 1 else (now.year - 1, 12)
    return datetime(year, month, 1, tzinfo=SHANGHAI)


def month_text(moment: datetime) -> str:
    return moment.astimezone(SHANGHAI).strftime("%Y-%m")


def issue_at(platform: PlatformClient, http, moment: datetime, prices: list[str]) -> list[dict]:
    """Issue one blue invoice per price (one line, 13%) at ``moment``; answers them as uploaded."""
    status, _ = control(http, "post", "clock", {"now": moment.isoformat()})
    assert status == 200
    stamp = str(int(moment.timestamp() * 1000))

    def ok(fwbm, payload):
        answer = platform.call(fwbm, payload, timestamp=stamp)
        assert answer.status == 200 and answer.returncode == "00", (answer.outer, answer.data)
        return answer.data

    try:
        total = sum(Decimal(p) * Decimal("1.13") for p in prices) + 1
        ok("XZTHSXED", {"nsrsbh": platform.nsrsbh, "sqlx": "0", "sqed": f"{total:.2f}", "ywlsh": crypto.new_nonce()})
        block = ok("QDFPPLFM", {"nsrsbh": platform.nsrsbh, "lysl": len(prices), "ywlsh": crypto.new_nonce()})
        first = int(block["qshm"][6:])
        invoices = [
            invoice(f"{block['qshm'][:6]}{first + i:014d}", [line(sl="1", dj=price)], kprq=kprq_text(moment))
            for i, price in enumerate(prices)
        ]
        sllsh = ok("QDFPSC", {"nsrsbh": platform.nsrsbh, "fplist": invoices})["sllsh"]
        results = ok("CXQDFPSCJG", {"nsrsbh": platform.nsrsbh, "sllsh": sllsh})["fpjgList"]
        assert [r["status"] for r in results] == ["00"] * len(prices), results
    finally:
        control(http, "delete", "clock")
    return invoices
