"""The 乐企 provider against a fake platform: request shapes, headers, signatures, parsing."""

from __future__ import annotations

import time
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from invoicing.taxapi import crypto, envelope, errors, get_provider
from invoicing.taxapi.base import (
    InvoiceOutcomeStatus,
    InvoiceState,
    QuotaDirection,
    RedFormAction,
    RedFormApplication,
    RedFormEnteredBy,
    RedFormLine,
    RedFormState,
    RedReason,
)
from invoicing.taxapi.leqi import LeqiProvider

from .conftest import TAX_ID, make_provider
from .helpers import exchange_rows, sample_invoice

pytestmark = pytest.mark.django_db(databases="__all__")
SHANGHAI = ZoneInfo("Asia/Shanghai")


class TestEnvelopeOnTheWire:
    def test_it_posts_the_documented_path_and_headers(self, fake_platform, provider):
        fake_platform.answer({"zsxed": "1000.00", "yxzsxed": "0.00", "kyxzsxed": "1000.00", "ysyed": "0.00"})
        provider.query_quota()
        [received] = fake_platform.received
        assert received.path == "/sandbox/access/v2/invoke/202007/CXSXED/"
        headers = received.headers
        assert headers["Content-Type"] == "text/plain; charset=utf-8"
        assert (headers["fwbm"], headers["nlbm"], headers["ptlx"]) == ("CXSXED", "202007", "0")
        assert (headers["jrdwptbh"], headers["sydwptbh"]) == (provider.unit_id, provider.user_unit_id)
        assert abs(int(headers["timestamp"]) - time.time() * 1000) < 5000
        assert len(headers["clientTid"]) == 32
        # open_request verified the HMAC-SM3 signature before decrypting.
        assert received.payload == {"nsrsbh": TAX_ID}
        message = crypto.signing_string(
            service="CXSXED", timestamp=headers["timestamp"], nonce=headers["nonce"], body_b64=received.body
        )
        assert headers["access_signature"] == crypto.sign_hmac(fake_platform.secret_hex, message)
        assert headers["access-signature"] == headers["access_signature"]  # the dash spelling, §6.1

    def test_it_sends_a_fresh_nonce_and_reuses_the_connection(self, fake_platform, provider):
        for _ in range(3):
            fake_platform.answer({"nsrsbh": TAX_ID, "nsrmc": "x", "nsrztdm": "03", "nsrztmc": "正常", "scjydz": ""})
            provider.taxpayer_info()
        assert len({r.headers["nonce"] for r in fake_platform.received}) == 3
        assert len({r.client_port for r in fake_platform.received}) == 1

    def test_it_leaves_the_signature_out_when_switched_off(self, fake_platform):
        provider = make_provider(fake_platform, sign=False)
        fake_platform.answer({"slList": []})
        provider.usable_rates()
        # Exactly what the public clients send the real platform: the header, empty.
        assert fake_platform.received[0].headers["access_signature"] == ""
        assert "access-signature" not in fake_platform.received[0].headers
        assert "nonce" in fake_platform.received[0].headers
        assert (fake_platform.received[0].headers["ylbm"], fake_platform.received[0].headers["sxcsbz"]) == ("", "")

    def test_it_signs_with_sm2_for_a_unit_with_a_certificate(self, fake_platform):
        private, public = crypto.sm2_generate_keypair()
        provider = make_provider(fake_platform, sign_type="SM2", sm2_private_key=private)
        fake_platform.answer({"slList": []})
        provider.usable_rates()
        received = fake_platform.received[0]
        assert envelope.open_request(
            body=received.body, headers=received.headers, secret_hex=fake_platform.secret_hex, sm2_public_key=public
        ) == {}

    def test_it_never_shows_the_secret_in_its_repr(self, provider):
        assert provider._secret_hex not in repr(provider)

    def test_it_refuses_a_malformed_secret_before_any_call(self, fake_platform):
        with pytest.raises(errors.PermanentError):
            make_provider(fake_platform, secret_hex="xyz")


class TestServices:
    def test_fetch_number_block(self, fake_platform, provider):
        fake_platform.answer({"qshm": "26317000000000000001", "zzhm": "26317000000000000003", "lysl": 3})
        block = provider.fetch_number_block(count=3, request_serial="blk-1")
        assert fake_platform.received[0].payload == {"nsrsbh": TAX_ID, "lysl": 3, "ywlsh": "blk-1"}
        assert block.numbers() == ["26317000000000000001", "26317000000000000002", "26317000000000000003"]
        [row] = exchange_rows(provider)
        assert row.refs == ["blk-1", "26317000000000000001", "26317000000000000003"]

    def test_fetch_number_block_refuses_an_impossible_count_locally(self, fake_platform, provider):
        with pytest.raises(ValueError):
            provider.fetch_number_block(count=5001, request_serial="x")
        assert fake_platform.received == []

    def test_query_and_download_quota(self, fake_platform, provider):
        fake_platform.answer({"zsxed": "100000.00", "yxzsxed": "0.00", "kyxzsxed": "100000.00", "ysyed": "0.00"})
        quota = provider.query_quota()
        assert quota.downloadable == Decimal("100000.00")
        fake_platform.answer({"sqlx": "0", "sqed": "5000.00", "yxzsxed": "5000.00"})
        transfer = provider.download_quota(amount=Decimal("5000"), request_serial="q-1")
        assert fake_platform.received[1].payload == {
            "nsrsbh": TAX_ID, "ptbh": provider.unit_id, "sqlx": "0", "sqed": "5000.00", "ywlsh": "q-1"}
        assert (transfer.direction, transfer.amount, transfer.downloaded_unused) == (
            QuotaDirection.DOWNLOAD,
            Decimal("5000.00"),
            Decimal("5000.00"),
        )
        fake_platform.answer({"sqlx": "1", "sqed": "100.00", "yxzsxed": "4900.00"})
        back = provider.download_quota(amount=Decimal("100"), request_serial="q-2", direction=QuotaDirection.GIVE_BACK)
        assert fake_platform.received[2].payload["sqlx"] == "1"
        assert back.direction == QuotaDirection.GIVE_BACK

    def test_taxpayer_info(self, fake_platform, provider):
        fake_platform.answer(
            {"nsrsbh": TAX_ID, "nsrmc": "上海示例", "nsrztdm": "05", "nsrztmc": "停业", "scjydz": "上海"}
        )
        info = provider.taxpayer_info()
        assert (info.name, info.status_code, info.may_issue) == ("上海示例", "05", False)

    def test_usable_rates(self, fake_platform, provider):
        fake_platform.answer({"slList": [{"slv": "0.13", "mc": "13%"}, {"slv": "0.015", "mc": "1.5%"}]})
        rates = provider.usable_rates()
        assert [r.rate for r in rates] == [Decimal("0.13"), Decimal("0.015")]

    def test_tax_codes(self, fake_platform, provider):
        fake_platform.answer(
            {
                "total": 1500,
                "sjc": "20261101080000",
                "ssflbmList": [
                    {
                        "sphfwssflhbbm": "1060301020100000000",
                        "spmc": "洗涤剂",
                        "spjc": "日用杂品",
                        "sm": "",
                        "slList": ["0.13"],
                        "yhzcbsList": [],
                        "hzx": "N",
                        "yxqq": "2019-04-01 00:00:00",
                        "yxqz": "",
                    }
                ],
            }
        )
        page = provider.tax_codes(since=datetime(2026, 10, 1, tzinfo=SHANGHAI), page_no=1, page_size=1000)
        assert fake_platform.received[0].payload == {
            "nsrsbh": TAX_ID, "sjc": "20261001000000", "sjswjgdm": "13100000000", "pageNo": 1, "pageSize": 1000}
        assert page.has_more and page.total == 1500
        assert page.watermark == datetime(2026, 11, 1, 8, tzinfo=SHANGHAI)
        [code] = page.codes
        assert (code.short_name, code.rates, code.is_summary, code.valid_to) == (
            "日用杂品",
            (Decimal("0.13"),),
            False,
            None,
        )

    def test_upload_invoices_and_result(self, fake_platform, provider):
        invoices = [sample_invoice(f"2631700000000000000{i}") for i in range(1, 4)]
        fake_platform.answer({"sllsh": "SL-1"})
        accepted = provider.upload_invoices(invoices=invoices)
        assert accepted.acceptance_serial == "SL-1"
        # The body is the list itself; each invoice carries this unit and the issuing machine.
        assert fake_platform.received[0].payload == [
            {"ptbh": provider.unit_id, "qyDm": "310000", "ip": "127.0.0.1", "macdz": "00-00-00-00-00-00", **invoice}
            for invoice in invoices
        ]
        assert isinstance(fake_platform.received[0].payload, list)
        fake_platform.answer({"sllsh": "SL-1", "status": "01", "fpjgList": []})
        assert provider.upload_result(acceptance_serial="SL-1").processing
        fake_platform.answer(
            {
                "sllsh": "SL-1",
                "status": "00",
                "fpjgList": [
                    {
                        "fphm": invoices[0]["fphm"],
                        "status": "00",
                        "returnmsg": "",
                        "jshj": "113.00",
                        "kprq": "2026-11-21 10:00:00",
                    },
                    {
                        "fphm": invoices[1]["fphm"],
                        "status": "02",
                        "returnmsg": "第2行：金额与单价×数量不符（fpmxList[1].je）",
                    },
                    {
                        "fphm": invoices[2]["fphm"],
                        "status": "03",
                        "returnmsg": "重复上传",
                        "jshj": "113.00",
                        "kprq": "2026-11-21 09:00:00",
                    },
                ],
            }
        )
        result = provider.upload_result(acceptance_serial="SL-1")
        assert not result.processing
        assert [o.status for o in result.outcomes] == [
            InvoiceOutcomeStatus.ISSUED,
            InvoiceOutcomeStatus.REFUSED,
            InvoiceOutcomeStatus.ALREADY_UPLOADED,
        ]
        assert result.outcomes[0].total_with_tax == Decimal("113.00")
        assert result.outcomes[2].issued_at == datetime(2026, 11, 21, 9, tzinfo=SHANGHAI)
        rows = exchange_rows(provider)
        assert rows[0].refs == [inv["fphm"] for inv in invoices] + ["SL-1"]
        assert rows[2].refs == ["SL-1"] + [inv["fphm"] for inv in invoices]

    def test_upload_refuses_more_than_100_locally(self, fake_platform, provider):
        with pytest.raises(ValueError):
            provider.upload_invoices(invoices=[sample_invoice(str(i).zfill(20)) for i in range(101)])
        assert fake_platform.received == []

    def test_red_form_apply_and_confirm(self, fake_platform, provider):
        fake_platform.answer({"uuid": "u-1", "hzqrxxdbh": "HZ001", "hzqrxxztDm": "02", "yxqz": "2026-11-24 10:00:00"})
        receipt = provider.red_form_apply(
            application=RedFormApplication(
                blue_invoice_number="26317000000000000001",
                reason=RedReason.SALES_RETURN,
                amount=Decimal("-20"),
                tax=Decimal("-2.6"),
                lines=(
                    RedFormLine(
                        blue_line_no=1,
                        item_name="*日用杂品*商品1",
                        tax_code="1060301020100000000",
                        amount=Decimal("-20.00"),
                        tax_rate=Decimal("0.13"),
                        tax=Decimal("-2.60"),
                        quantity=Decimal("-2"),
                        unit_price=Decimal("10.00"),
                        full_name="*日用杂品*商品1",
                        short_name="日用杂品",
                    ),
                ),
                seller_name="上海示例",
                buyer_tax_id="91440300MA5F00002X",
                buyer_name="深圳买方",
                blue_issued_at=datetime(2026, 11, 21, 10, tzinfo=SHANGHAI),
                blue_amount=Decimal("100"),
                blue_tax=Decimal("13"),
                blue_type="02",
            )
        )
        payload = fake_platform.received[0].payload
        assert (payload["chyyDm"], payload["lrfsf"], payload["xsfnsrsbh"], payload["sfzzfpbz"]) == ("02", "0", TAX_ID, "N")
        assert (payload["hzcxje"], payload["hzcxse"]) == ("-20.00", "-2.60")
        assert (payload["lzkprq"], payload["lzhjje"], payload["lzhjse"], payload["lzfppzDm"]) == (
            "2026-11-21 10:00:00", "100.00", "13.00", "02")
        assert (payload["gmfnsrsbh"], payload["gmfmc"], payload["xsfmc"]) == ("91440300MA5F00002X", "深圳买方", "上海示例")
        assert payload["hzqrdmxList"][0] == {
            "lzmxxh": 1,
            "xh": 1,
            "sphfwssflhbbm": "1060301020100000000",
            "hwhyslwfwmc": "*日用杂品*商品1",
            "spfwjc": "日用杂品",
            "xmmc": "*日用杂品*商品1",
            "ggxh": "",
            "dw": "",
            "fpspsl": "-2",
            "fpspdj": "10",
            "je": "-20.00",
            "sl1": "0.13",
            "se": "-2.60",
        }
        assert receipt.state == RedFormState.AWAITING_BUYER
        assert not receipt.state.allows_red_invoice
        fake_platform.answer({"uuid": "u-1", "hzqrxxztDm": "08"})
        confirmation = provider.red_form_confirm(uuid="u-1", form_number="HZ001", action=RedFormAction.REVOKE)
        assert fake_platform.received[1].payload == {"xsfnsrsbh": TAX_ID, "uuid": "u-1", "hzqrdbh": "HZ001", "qrlx": "C"}
        assert confirmation.state == RedFormState.REVOKED

    def test_red_form_list_and_detail(self, fake_platform, provider):
        item = {
            "uuid": "u-1",
            "hzqrxxdbh": "HZ001",
            "hzqrxxztDm": "01",
            "lrfsf": "0",
            "lzfphm": "26317000000000000001",
            "hzcxje": "-20.00",
            "hzcxse": "-2.60",
            "lrrq": "2026-11-21 10:00:00",
            "yxqz": "",
            "ykjhzfpbz": "N",
        }
        fake_platform.answer({"total": 1, "list": [item]})
        page = provider.red_form_list(state=RedFormState.NO_CONFIRMATION_NEEDED, page_size=10)
        assert fake_platform.received[0].payload == {
            "yhjslx": "0", "xsfnsrsbh": TAX_ID, "pageNumber": 1, "pageSize": 10, "hzqrxxztDm": "01"}
        [summary] = page.forms
        assert (summary.entered_by, summary.amount, summary.red_invoice_issued) == (
            RedFormEnteredBy.SELLER,
            Decimal("-20.00"),
            False,
        )
        fake_platform.answer(
            {
                **item,
                "chyyDm": "01",
                "hzqrdmxList": [
                    {
                        "lzmxxh": 1,
                        "xh": 1,
                        "xmmc": "x",
                        "sphfwssflhbbm": "1",
                        "je": "-20.00",
                        "sl1": "0.13",
                        "se": "-2.60",
                        "fpspsl": "",
                        "fpspdj": "",
                    }
                ],
            }
        )
        detail = provider.red_form_detail(uuid="u-1")
        assert detail.reason == RedReason.WRONG_INVOICE
        assert detail.lines[0].quantity is None
        assert detail.state.allows_red_invoice

    def test_invoice_status(self, fake_platform, provider):
        fake_platform.answer(
            {
                "fphm": "26317000000000000001",
                "fpzt": "03",
                "gxzt": "Y",
                "jshj": "113.00",
                "kprq": "2026-11-21 10:00:00",
                "yhcje": "-13.00",
            }
        )
        status = provider.invoice_status(number="26317000000000000001")
        assert (status.state, status.booked_by_buyer, status.reversed_amount) == (
            InvoiceState.PARTLY_REVERSED,
            True,
            Decimal("-13.00"),
        )


class TestGetProvider:
    def test_it_builds_the_provider_from_the_company(self, fake_platform, settings):
        from invoicing.rules.taxid import make_uscc
        from stores.credentials import encrypt_secret
        from stores.models import Company

        tax_id = make_uscc("91310000MA1FL8XQ3")
        company = Company.objects.create(
            name="上海示例",
            tax_id=tax_id,
            platform_unit_id="U0000000000000000001",
            platform_user_unit_id="S0000000000000000001",
            platform_secret_encrypted=encrypt_secret(fake_platform.secret_hex, bound_to=tax_id),
        )
        settings.TAX_PLATFORM_URL = fake_platform.url
        provider = get_provider(company)
        assert isinstance(provider, LeqiProvider)
        assert (provider.taxpayer_id, provider.company_id, provider.sign_type) == (tax_id, company.pk, "HMAC")
        fake_platform.answer({"slList": []})
        provider.usable_rates()
        [row] = exchange_rows(provider)
        assert row.company_id == company.pk

    def test_it_turns_a_missing_secret_into_a_configuration_error(self, settings):
        from invoicing.rules.taxid import make_uscc
        from stores.models import Company

        company = Company.objects.create(name="x", tax_id=make_uscc("91310000MA1FL8XQ4"), platform_unit_id="U1")
        with pytest.raises(errors.PermanentError) as caught:
            get_provider(company)
        assert caught.value.code == errors.CLIENT_CONFIG
