"""Every way a call can fail ends in the class that tells the caller what it may do next."""

from __future__ import annotations

import pytest
import requests

from invoicing.taxapi import envelope, errors, transport
from invoicing.taxapi.errors import BusinessError, PermanentError, RetryableError, UnknownOutcomeError

from .conftest import Reply, make_provider
from .helpers import exchange_rows

pytestmark = pytest.mark.django_db(databases="__all__")

GATEWAY = [
    ("1001", 401, "签名验证失败", PermanentError),
    ("1002", 401, "时间戳超出允许范围（±300秒）", PermanentError),
    ("1003", 401, "请求重复（nonce 已使用）", PermanentError),
    ("1004", 401, "接入单位不存在或未启用", PermanentError),
    ("1005", 400, "报文解密失败，请检查密钥与报文", PermanentError),
    ("1006", 400, "请求头缺失或格式错误：timestamp", PermanentError),
    ("1007", 404, "服务不存在：QDFPSC", PermanentError),
    ("2001", 429, "当前访问请求较多，请5分钟后重试", RetryableError),
    ("2002", 503, "系统繁忙，请稍后重试", RetryableError),
    ("2003", 503, "系统维护中，请稍后重试", RetryableError),
]
BUSINESS = ["01", "10", "11", "12", "13", "14", "15", "16", "17"]


class TestTable:
    @pytest.mark.parametrize(("code", "status", "message", "expected"), GATEWAY)
    def test_it_maps_each_gateway_code(self, code, status, message, expected):
        assert errors.ERROR_CLASSES[code] is expected

    @pytest.mark.parametrize("code", BUSINESS)
    def test_it_maps_each_business_code_to_permanent(self, code):
        assert errors.class_for_code(code) is BusinessError
        assert issubclass(BusinessError, PermanentError)

    def test_it_falls_back_by_family_for_codes_it_does_not_know(self):
        assert errors.class_for_code("2999") is RetryableError
        assert errors.class_for_code("1999") is PermanentError
        assert errors.class_for_code("99") is BusinessError

    def test_it_tells_unknown_from_retryable(self):
        assert not issubclass(UnknownOutcomeError, RetryableError)
        assert RetryableError(code="2002", message="忙").retryable
        assert not UnknownOutcomeError(code="READ_TIMEOUT", message="超时").retryable


class TestGatewayRefusals:
    @pytest.mark.parametrize(("code", "status", "message", "expected"), GATEWAY)
    def test_it_raises_the_class_of_the_code(self, fake_platform, provider, code, status, message, expected):
        fake_platform.error(code, message, status)
        with pytest.raises(expected) as caught:
            provider.query_quota()
        assert type(caught.value) is expected
        assert caught.value.code == code
        assert caught.value.message == message
        assert caught.value.service == "CXSXED"
        assert caught.value.http_status == status
        [row] = exchange_rows(provider)
        assert row.outcome == expected.outcome
        assert (row.return_code, row.return_message, row.http_status) == (code, message, status)
        assert row.response == {"Code": code, "Message": message}


class TestBusinessRefusals:
    @pytest.mark.parametrize("code", BUSINESS)
    def test_it_raises_a_business_error(self, fake_platform, provider, code):
        fake_platform.answer({}, returncode=code, returnmsg="纳税人识别号与接入单位不符")
        with pytest.raises(BusinessError) as caught:
            provider.taxpayer_info()
        assert caught.value.code == code
        assert caught.value.message == "纳税人识别号与接入单位不符"
        [row] = exchange_rows(provider)
        assert row.outcome == "business_error"
        assert row.return_code == code
        assert row.response == {"returncode": code, "returnmsg": "纳税人识别号与接入单位不符"}


class TestTransport:
    def test_a_5xx_without_platform_body_is_retryable(self, fake_platform, provider):
        fake_platform.reply(Reply(502, b"<html>Bad Gateway</html>"))
        with pytest.raises(RetryableError) as caught:
            provider.query_quota()
        assert caught.value.code == errors.HTTP_5XX
        assert "502" in caught.value.message
        [row] = exchange_rows(provider)
        assert (row.outcome, row.http_status, row.response) == ("retryable", 502, None)

    def test_a_4xx_without_platform_body_is_permanent(self, fake_platform, provider):
        fake_platform.reply(Reply(404, b"<html>Not Found</html>"))
        with pytest.raises(PermanentError) as caught:
            provider.query_quota()
        assert caught.value.code == errors.HTTP_4XX

    def test_garbage_after_sending_is_unknown(self, fake_platform, provider):
        fake_platform.reply(Reply(200, b"<html>maintenance page</html>"))
        with pytest.raises(UnknownOutcomeError) as caught:
            provider.upload_invoices(invoices=[{"fphm": "26317000000000000001"}])
        assert caught.value.code == errors.BAD_RESPONSE
        [row] = exchange_rows(provider)
        assert row.outcome == "unknown"
        assert row.refs == ["26317000000000000001"]

    def test_data_under_another_key_is_unknown(self, fake_platform, provider):
        body = envelope.seal_response(data={"returncode": "00", "sllsh": "X"}, secret_hex="cd" * 16)
        fake_platform.reply(Reply(200, body.encode()))
        with pytest.raises(UnknownOutcomeError):
            provider.upload_invoices(invoices=[{"fphm": "26317000000000000001"}])

    def test_a_success_without_its_fields_is_unknown(self, fake_platform, provider):
        fake_platform.answer({"unexpected": "1"})
        with pytest.raises(UnknownOutcomeError):
            provider.upload_invoices(invoices=[{"fphm": "26317000000000000001"}])
        [row] = exchange_rows(provider)
        assert row.outcome == "unknown"
        assert row.response == {"returncode": "00", "returnmsg": "成功", "unexpected": "1"}

    def test_a_read_timeout_is_unknown(self, fake_platform):
        provider = make_provider(fake_platform, read_timeout=0.2)
        fake_platform.reply(Reply(200, b"{}", delay=1.0))
        with pytest.raises(UnknownOutcomeError) as caught:
            provider.upload_invoices(invoices=[{"fphm": "26317000000000000001"}])
        assert caught.value.code == errors.READ_TIMEOUT
        assert "切勿重新开具" in caught.value.message
        [row] = exchange_rows(provider)
        assert (row.outcome, row.return_code, row.http_status) == ("unknown", "READ_TIMEOUT", None)
        assert 150 <= row.duration_ms < 1000

    def test_a_dropped_connection_after_sending_is_unknown(self, fake_platform, provider):
        fake_platform.reply(Reply(drop=True))
        with pytest.raises(UnknownOutcomeError) as caught:
            provider.upload_invoices(invoices=[{"fphm": "26317000000000000001"}])
        assert caught.value.code == errors.CONNECTION_DROPPED
        assert len(fake_platform.received) == 1  # it did arrive: that is why it is "unknown"

    def test_a_refused_connection_is_retryable(self, fake_platform, closed_port):
        provider = make_provider(fake_platform, base_url=f"http://127.0.0.1:{closed_port}/sandbox")
        with pytest.raises(RetryableError) as caught:
            provider.upload_invoices(invoices=[{"fphm": "26317000000000000001"}])
        assert caught.value.code == errors.CONNECT_FAILED
        [row] = exchange_rows(provider)
        assert row.outcome == "retryable"

    def test_a_connect_timeout_is_retryable(self):
        error = transport.classify_transport_exception(requests.exceptions.ConnectTimeout("slow"), service="QDFPSC")
        assert isinstance(error, RetryableError)
        assert error.code == errors.CONNECT_TIMEOUT

    def test_an_ssl_failure_is_retryable_and_a_bad_url_permanent(self):
        assert isinstance(
            transport.classify_transport_exception(requests.exceptions.SSLError("handshake"), service="X"),
            RetryableError,
        )
        assert isinstance(
            transport.classify_transport_exception(requests.exceptions.InvalidURL("x"), service="X"), PermanentError
        )

    def test_it_does_not_retry_at_the_http_layer(self, fake_platform, provider):
        fake_platform.reply(Reply(drop=True))
        fake_platform.answer({"sllsh": "should-not-be-reached"})
        with pytest.raises(UnknownOutcomeError):
            provider.upload_invoices(invoices=[{"fphm": "26317000000000000001"}])
        assert len(fake_platform.received) == 1
