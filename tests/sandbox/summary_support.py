"""Issue invoices on the sandbox in an earlier month: the platform's clock is moved there (and the
envelopes are stamped with it) for the upload, then put back. Shared by the summary tests."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from audit.services import Actor
from invoicing.taxapi import crypto
from stores.services import company_set_platform_credentials
from tests.sandbox.platform import (
    SHANGHAI,
    PlatformClient,
    RequestsHttp,
    control,
    control_headers,
    invoice,
    kprq_text,
    line,
    register_unit,
)


def last_month_start(now: datetime | None = None) -> datetime:
    now = (now or datetime.now(SHANGHAI)).astimezone(SHANGHAI)
    year, month = (now.year, now.month - 1) if now.month > 1 else (now.year - 1, 12)
    return datetime(year, month, 1, tzinfo=SHANGHAI)


def month_text(moment: datetime) -> str:
    return moment.astimezone(SHANGHAI).strftime("%Y-%m")


def issue_at(platform: PlatformClient, http, moment: datetime, prices: list[str]) -> list[dict]:
    """Issue one blue invoice per price (one line, 13%) at ``moment``; answers them as uploaded."""
    _clock(http, moment)
    stamp = str(int(moment.timestamp() * 1000))

    def ok(fwbm, payload):
        answer = platform.call(fwbm, payload, timestamp=stamp)
        assert answer.status == 200 and answer.returncode == "00", (answer.outer, answer.data)
        return answer.data

    try:
        total = sum(Decimal(p) * Decimal("1.13") for p in prices) + 1
        ok("XZTHSXED", {"nsrsbh": platform.nsrsbh, "ptbh": platform.jrdwptbh, "sqlx": "0", "sqed": f"{total:.2f}",
                        "ywlsh": crypto.new_nonce()})
        block = ok("QDFPPLFM", {"nsrsbh": platform.nsrsbh, "lysl": len(prices), "ywlsh": crypto.new_nonce()})
        first = int(block["qshm"][6:])
        invoices = [
            invoice(f"{block['qshm'][:6]}{first + i:014d}", [line(sl="1", dj=price)], kprq=kprq_text(moment),
                    xsfnsrsbh=platform.nsrsbh, ptbh=platform.jrdwptbh)
            for i, price in enumerate(prices)
        ]
        sllsh = ok("QDFPSC", invoices)["sllsh"]
        results = ok("CXQDFPSCJG", {"sllsh": sllsh})["fpjgList"]
        assert [r["status"] for r in results] == ["00"] * len(prices), results
    finally:
        _clock(http, None)
    return invoices


def _clock(http, moment: datetime | None) -> None:
    if isinstance(http, RequestsHttp):
        response = http.session.request("post" if moment else "delete", f"{http.root}/sandbox/control/clock",
                                        json={"now": moment.isoformat()} if moment else None,
                                        headers=control_headers(), timeout=10)
        assert response.status_code == 200, response.text
    else:
        status, _ = control(http, "post", "clock", {"now": moment.isoformat()}) if moment else control(
            http, "delete", "clock")
        assert status == 200


def connect_company(live_url: str, company) -> PlatformClient:
    """Register the company with the sandbox over HTTP, store its credentials, and answer a
    client of the same unit (to plant invoices on the platform that our records do not have)."""
    http = RequestsHttp(live_url)
    unit = register_unit(http, nsrsbh=company.tax_id, nsrmc=company.name)
    company_set_platform_credentials(company=company, actor=Actor.system(), unit_id=unit["jrdwptbh"],
                                     user_unit_id=unit["sydwptbh"], secret=unit["secret"])
    company.refresh_from_db()
    # Django's live server drops header names with "_" (docs/tax-platform.md §1).
    return PlatformClient(http=http, nsrsbh=company.tax_id, signature_header="access-signature", **unit)
