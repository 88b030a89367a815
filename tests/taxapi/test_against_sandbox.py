"""The client against the sandbox over real HTTP (pytest-django's live server): every service.

The sandbox checks every rule with its own code (docs/tax-platform.md §6), so these tests
catch what the client gets wrong about the protocol rather than agreeing with its own bugs.
"""

from __future__ import annotations

import json
import secrets
import time
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

import pytest
import requests
from django.conf import settings

from invoicing.rules.taxid import make_uscc
from invoicing.taxapi import crypto, errors, transport
from invoicing.taxapi.base import (
    InvoiceOutcomeStatus,
    InvoiceState,
    RedFormAction,
    RedFormApplication,
    RedFormLine,
    RedFormState,
    RedReason,
)
from invoicing.taxapi.leqi import LeqiProvider

from .helpers import exchange_rows

pytestmark = [pytest.mark.live, pytest.mark.django_db(transaction=True, databases="__all__")]
SHANGHAI = ZoneInfo("Asia/Shanghai")
CENT = Decimal("0.01")


class Sandbox:
    """The control API plus providers for units registered through it."""

    def __init__(self, url: str) -> None:
        self.base = f"{url}/sandbox"
        self.http = requests.Session()
        self.http.headers["X-Sandbox-Token"] = settings.SANDBOX_ADMIN_TOKEN

    def control(self, method: str, path: str, body: dict | None = None) -> dict:
        response = self.http.request(method, f"{self.base}/control/{path}", json=body, timeout=10)
        assert response.status_code == 200, response.text
        return response.json()

    def register(self, *, sign_type: str = "HMAC", **fields) -> tuple[str, dict, str | None]:
        tax_id = make_uscc("91310000" + secrets.token_hex(6).upper().replace("I", "1").replace("O", "0")[:9])
        body = {"nsrsbh": tax_id, "nsrmc": "上海沙箱测试有限公司", **fields}
        private = None
        if sign_type == "SM2":
            private, public = crypto.sm2_generate_keypair()
            body |= {"sign_type": "SM2", "public_key": public}
        return tax_id, self.control("POST", "units", body), private

    def provider(self, *, tax_id: str, unit: dict, **overrides) -> LeqiProvider:
        options = dict(
            base_url=self.base,
            unit_id=unit["jrdwptbh"],
            user_unit_id=unit["sydwptbh"],
            secret_hex=unit["secret"],
            taxpayer_id=tax_id,
            session=transport.new_session(),
            connect_timeout=5,
            read_timeout=15,
        )
        options.update(overrides)
        return LeqiProvider(**options)


@pytest.fixture
def sandbox(live_server):
    sandbox = Sandbox(live_server.url)
    yield sandbox
    sandbox.control("DELETE", "faults")


@pytest.fixture
def unit(sandbox):
    tax_id, unit, _ = sandbox.register()
    return sandbox.provider(tax_id=tax_id, unit=unit), unit


def _usable_code(provider):
    """A non-summary tax code allowing 13 %, from the sandbox's own table."""
    page_no = 1
    while True:
        page = provider.tax_codes(page_no=page_no, page_size=1000)
        for code in page.codes:
            if not code.is_summary and Decimal("0.13") in code.rates and code.short_name:
                return code
        if not page.has_more:
            raise AssertionError("no usable 13 % code in the sandbox table")
        page_no += 1


def _now_text() -> str:
    return datetime.now(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S")


def _blue_invoice(provider, *, number: str, code, lines: int = 2) -> dict:
    detail = []
    for i in range(1, lines + 1):
        quantity, price = Decimal(i), Decimal("50.00")
        amount = (quantity * price).quantize(CENT)
        tax = (amount * Decimal("0.13")).quantize(CENT, ROUND_HALF_UP)
        detail.append(
            {
                "mxxh": i,
                "xmmc": f"测试商品{i}",
                "hwhyslwfwmc": f"*{code.short_name}*测试商品{i}",
                "spfwjc": code.short_name,
                "ggxh": "",
                "dw": "件",
                "sl": str(quantity),
                "dj": str(price),
                "je": str(amount),
                "slv": "0.13",
                "se": str(tax),
                "hsje": str(amount + tax),
                "sphfwssflhbbm": code.code,
                "fphxz": "00",
                "yhzcbs": "",
            }
        )
    hjje = sum(Decimal(line["je"]) for line in detail)
    hjse = sum(Decimal(line["se"]) for line in detail)
    return {
        "fphm": number,
        "lzfpbz": "0",
        "fppz": "02",
        "kprq": _now_text(),
        "xsfnsrsbh": provider.taxpayer_id,
        "xsfmc": "上海沙箱测试有限公司",
        "xsfdz": "",
        "xsfdh": "",
        "xsfkhh": "",
        "xsfzh": "",
        "gmfnsrsbh": "",
        "gmfmc": "张三",
        "gmfdz": "",
        "gmfdh": "",
        "gmfkhh": "",
        "gmfzh": "",
        "gmfzrrbz": "Y",
        "hjje": str(hjje),
        "hjse": str(hjse),
        "jshj": str(hjje + hjse),
        "kpr": "李四",
        "bz": "",
        "cezslxDm": "",
        "fpkjfsDm": "5",
        "fpmxList": detail,
    }


def _red_invoice(blue: dict, *, number: str, form_number: str, form_uuid: str) -> dict:
    red = {
        **blue,
        "fphm": number,
        "lzfpbz": "1",
        "kprq": _now_text(),
        "dylzfphm": blue["fphm"],
        "hzqrxxdbh": form_number,
        "hzqrduuid": form_uuid,
    }
    red["fpmxList"] = [
        {**line, "sl": str(-Decimal(line["sl"])), "je": str(-Decimal(line["je"])), "se": str(-Decimal(line["se"])),
         "hsje": str(-Decimal(line["hsje"])), "dylzfpmxxh": line["mxxh"]}
        for line in blue["fpmxList"]
    ]
    for field in ("hjje", "hjse", "jshj"):
        red[field] = str(-Decimal(blue[field]))
    return red


def _full_reversal(blue: dict) -> RedFormApplication:
    return RedFormApplication(
        blue_invoice_number=blue["fphm"],
        reason=RedReason.WRONG_INVOICE,
        amount=-Decimal(blue["hjje"]),
        tax=-Decimal(blue["hjse"]),
        lines=tuple(
            RedFormLine(
                blue_line_no=line["mxxh"],
                item_name=line["hwhyslwfwmc"],
                tax_code=line["sphfwssflhbbm"],
                spec=line["ggxh"],
                unit=line["dw"],
                quantity=-Decimal(line["sl"]),
                unit_price=Decimal(line["dj"]),
                amount=-Decimal(line["je"]),
                tax_rate=Decimal(line["slv"]),
                tax=-Decimal(line["se"]),
                full_name=line["hwhyslwfwmc"],
                short_name=line["spfwjc"],
            )
            for line in blue["fpmxList"]
        ),
        seller_name=blue["xsfmc"],
        buyer_tax_id=blue["gmfnsrsbh"],
        buyer_name=blue["gmfmc"],
        blue_issued_at=datetime.strptime(blue["kprq"], "%Y-%m-%d %H:%M:%S").replace(tzinfo=SHANGHAI),
        blue_amount=Decimal(blue["hjje"]),
        blue_tax=Decimal(blue["hjse"]),
        blue_type=blue["fppz"],
    )


def _wait_for_result(provider, serial: str, *, timeout: float = 15):
    deadline = time.monotonic() + timeout
    while True:
        result = provider.upload_result(acceptance_serial=serial)
        if not result.processing or time.monotonic() > deadline:
            return result
        time.sleep(0.3)


def test_reference_services(unit):
    provider, _ = unit
    info = provider.taxpayer_info()
    assert (info.tax_id, info.status_code, info.may_issue) == (provider.taxpayer_id, "03", True)
    assert Decimal("0.13") in {rate.rate for rate in provider.usable_rates()}
    page = provider.tax_codes(page_size=10)
    assert page.total > 10 and len(page.codes) == 10 and page.has_more
    assert provider.tax_codes(since=page.watermark, page_size=10).total == 0


def test_numbers_and_quota(unit):
    provider, _ = unit
    block = provider.fetch_number_block(count=5, request_serial="blk-1")
    assert block.count == 5 and len(block.numbers()) == 5
    assert block.first_number[:2] == datetime.now(SHANGHAI).strftime("%y")
    assert provider.fetch_number_block(count=5, request_serial="blk-1") == block  # same serial, same block
    with pytest.raises(errors.BusinessError) as caught:
        provider.fetch_number_block(count=6, request_serial="blk-1")
    assert caught.value.code == "11"

    before = provider.query_quota()
    transfer = provider.download_quota(amount=Decimal("1000"), request_serial="q-1")
    assert transfer.downloaded_unused == before.downloaded_unused + Decimal("1000.00")
    assert provider.download_quota(amount=Decimal("1000"), request_serial="q-1") == transfer
    with pytest.raises(errors.BusinessError) as caught:
        provider.download_quota(amount=before.downloadable * 10, request_serial="q-2")
    assert caught.value.code == "12"


def test_upload_result_status_and_red_reversal(unit):
    provider, _ = unit
    code = _usable_code(provider)
    provider.download_quota(amount=Decimal("10000"), request_serial="q-1")
    numbers = provider.fetch_number_block(count=4, request_serial="blk-1").numbers()

    blue = _blue_invoice(provider, number=numbers[0], code=code)
    accepted = provider.upload_invoices(invoices=[blue])
    result = _wait_for_result(provider, accepted.acceptance_serial)
    [outcome] = result.outcomes
    assert (outcome.number, outcome.status) == (blue["fphm"], InvoiceOutcomeStatus.ISSUED), outcome.message
    assert outcome.total_with_tax == Decimal(blue["jshj"])

    again = _wait_for_result(provider, provider.upload_invoices(invoices=[blue]).acceptance_serial)
    assert again.outcomes[0].status == InvoiceOutcomeStatus.ALREADY_UPLOADED
    assert again.outcomes[0].total_with_tax == Decimal(blue["jshj"])

    status = provider.invoice_status(number=blue["fphm"])
    assert (status.state, status.booked_by_buyer) == (InvoiceState.NORMAL, False)

    receipt = provider.red_form_apply(application=_full_reversal(blue))
    assert receipt.state == RedFormState.NO_CONFIRMATION_NEEDED
    assert len(receipt.form_number) == 20
    page = provider.red_form_list()
    assert receipt.uuid in {form.uuid for form in page.forms}
    detail = provider.red_form_detail(uuid=receipt.uuid)
    assert (detail.reason, len(detail.lines), detail.amount) == (RedReason.WRONG_INVOICE, 2, -Decimal(blue["hjje"]))

    red = _red_invoice(blue, number=numbers[1], form_number=receipt.form_number, form_uuid=receipt.uuid)
    red_result = _wait_for_result(provider, provider.upload_invoices(invoices=[red]).acceptance_serial)
    assert red_result.outcomes[0].status == InvoiceOutcomeStatus.ISSUED, red_result.outcomes[0].message
    reversed_status = provider.invoice_status(number=blue["fphm"])
    assert reversed_status.state == InvoiceState.FULLY_REVERSED
    assert reversed_status.reversed_amount == Decimal(blue["jshj"])

    # A refused invoice names the field and does not use its number up.
    bad = _blue_invoice(provider, number=numbers[2], code=code)
    bad["fpmxList"][1]["je"] = "999.00"
    refused = _wait_for_result(provider, provider.upload_invoices(invoices=[bad]).acceptance_serial)
    assert refused.outcomes[0].status == InvoiceOutcomeStatus.REFUSED
    assert "fpmxList[1]" in refused.outcomes[0].message


def test_red_form_awaiting_the_buyer_then_revoked(sandbox, unit):
    provider, _ = unit
    code = _usable_code(provider)
    provider.download_quota(amount=Decimal("10000"), request_serial="q-1")
    [number] = provider.fetch_number_block(count=1, request_serial="blk-1").numbers()
    blue = _blue_invoice(provider, number=number, code=code)
    _wait_for_result(provider, provider.upload_invoices(invoices=[blue]).acceptance_serial)
    sandbox.control("POST", f"invoices/{number}/book")
    assert provider.invoice_status(number=number).booked_by_buyer

    receipt = provider.red_form_apply(application=_full_reversal(blue))
    assert receipt.state == RedFormState.AWAITING_BUYER
    assert receipt.expires_at is not None
    listed = provider.red_form_list(state=RedFormState.AWAITING_BUYER)
    assert [form.uuid for form in listed.forms] == [receipt.uuid]
    with pytest.raises(errors.BusinessError) as caught:
        provider.red_form_confirm(uuid=receipt.uuid, form_number=receipt.form_number, action=RedFormAction.CONFIRM)
    assert caught.value.code == "17"
    revoked = provider.red_form_confirm(uuid=receipt.uuid, form_number=receipt.form_number, action=RedFormAction.REVOKE)
    assert revoked.state == RedFormState.REVOKED


def test_business_refusals(unit):
    provider, _ = unit
    with pytest.raises(errors.BusinessError) as caught:
        provider.invoice_status(number="26317000009999999999")
    assert caught.value.code == "15"
    with pytest.raises(errors.BusinessError) as caught:
        provider.upload_result(acceptance_serial="no-such-serial")
    assert caught.value.code == "14"


def test_gateway_refusals(sandbox, unit):
    provider, registered = unit
    wrong_key = sandbox.provider(tax_id=provider.taxpayer_id, unit={**registered, "secret": "0" * 32})
    with pytest.raises(errors.PermanentError) as caught:
        wrong_key.query_quota()
    assert caught.value.code == "1005"
    unsigned = sandbox.provider(tax_id=provider.taxpayer_id, unit=registered, sign=False)
    with pytest.raises(errors.PermanentError) as caught:
        unsigned.query_quota()
    assert caught.value.code == "1001"
    stranger = sandbox.provider(tax_id=provider.taxpayer_id, unit={**registered, "jrdwptbh": "X" * 20})
    with pytest.raises(errors.PermanentError) as caught:
        stranger.query_quota()
    assert caught.value.code == "1004"


def test_sm2_unit(sandbox):
    tax_id, registered, private = sandbox.register(sign_type="SM2")
    provider = sandbox.provider(tax_id=tax_id, unit=registered, sign_type="SM2", sm2_private_key=private)
    assert provider.taxpayer_info().tax_id == tax_id
    hmac_instead = sandbox.provider(tax_id=tax_id, unit=registered)
    with pytest.raises(errors.PermanentError) as caught:
        hmac_instead.taxpayer_info()
    assert caught.value.code == "1001"


@pytest.mark.parametrize(
    ("fault", "expected", "code"),
    [
        ({"maintenance": True}, errors.RetryableError, "2003"),
        ({"busy_probability": 1}, errors.RetryableError, "2002"),
        ({"throttle_per_s": 1}, errors.RetryableError, "2001"),
        ({"refuse_connections": True}, errors.UnknownOutcomeError, errors.CONNECTION_DROPPED),
    ],
)
def test_faults(sandbox, unit, fault, expected, code):
    provider, _ = unit
    if "throttle_per_s" in fault:
        sandbox.control("POST", "faults", fault)
        # The window is one second: of a few quick calls, one lands beyond the limit.
        with pytest.raises(expected) as caught:
            for _ in range(6):
                provider.query_quota()
    else:
        sandbox.control("POST", "faults", {**fault, "times": 1})
        with pytest.raises(expected) as caught:
            provider.query_quota()
    assert caught.value.code == code
    sandbox.control("DELETE", "faults")
    time.sleep(1.1 if "throttle_per_s" in fault else 0)
    assert provider.query_quota().total > 0


def test_a_dropped_upload_is_found_again_by_querying(sandbox, unit):
    provider, _ = unit
    code = _usable_code(provider)
    provider.download_quota(amount=Decimal("10000"), request_serial="q-1")
    [number] = provider.fetch_number_block(count=1, request_serial="blk-1").numbers()
    blue = _blue_invoice(provider, number=number, code=code)
    sandbox.control("POST", "faults", {"drop_after_upload": True, "services": ["QDFPSC"], "times": 1})
    with pytest.raises(errors.UnknownOutcomeError):
        provider.upload_invoices(invoices=[blue])
    # What the pipeline does next: upload the same number again and read "already uploaded".
    time.sleep(2.2)  # past the default processing delay, so the first upload is issued
    result = _wait_for_result(provider, provider.upload_invoices(invoices=[blue]).acceptance_serial)
    assert result.outcomes[0].status in {InvoiceOutcomeStatus.ALREADY_UPLOADED, InvoiceOutcomeStatus.ISSUED}


def test_every_call_left_a_row_without_secrets(unit):
    provider, registered = unit
    provider.taxpayer_info()
    provider.query_quota()
    with pytest.raises(errors.BusinessError):
        provider.invoice_status(number="26317000009999999999")
    rows = exchange_rows(provider)
    assert [(row.service, row.outcome) for row in rows] == [
        ("CXNSRJBXX", "ok"),
        ("CXSXED", "ok"),
        ("FPZTXXCX", "business_error"),
    ]
    dumped = json.dumps([[row.request, row.response, row.return_message, row.refs] for row in rows], ensure_ascii=False)
    assert registered["secret"] not in dumped
