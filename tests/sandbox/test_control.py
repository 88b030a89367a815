"""The control API: token, units, clock, reset, and every fault."""

import json
import time

import pytest
import requests
from django.conf import settings

from sandbox.models import NumberBlock, Unit, UploadedInvoice
from tests.sandbox.conftest import next_number
from tests.sandbox.platform import SELLER_ID, PlatformClient, RequestsHttp, control, invoice

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("method", "path"),
    [("post", "units"), ("post", "faults"), ("delete", "faults"), ("post", "clock"), ("delete", "clock"),
     ("post", "invoices/1/book"), ("post", "red-forms"), ("post", "red-forms/x/buyer"), ("post", "reset")],
)
@pytest.mark.parametrize("token", ["", "wrong-token-0123456789"])
def test_it_refuses_control_calls_without_the_token(http, method, path, token):
    assert control(http, method, path, {"nsrsbh": SELLER_ID, "nsrmc": "x"}, token=token)[0] == 403
    assert Unit.objects.count() == 0


def test_it_registers_a_unit_once(http):
    status, first = control(http, "post", "units", {"nsrsbh": SELLER_ID, "nsrmc": "上海测试商贸有限公司"})
    assert status == 200 and set(first) == {"jrdwptbh", "sydwptbh", "secret"}
    assert len(first["jrdwptbh"]) == 20 and len(first["sydwptbh"]) == 20
    assert len(first["secret"]) == 32 and int(first["secret"], 16) >= 0
    assert control(http, "post", "units", {"nsrsbh": SELLER_ID, "nsrmc": "新名称"}) == (200, first)


@pytest.mark.parametrize("body", [{"nsrsbh": "abc", "nsrmc": "x"}, {"nsrsbh": SELLER_ID, "nsrmc": ""},
                                  {"nsrsbh": SELLER_ID, "nsrmc": "x", "sign_type": "SM2"}])
def test_it_refuses_a_malformed_unit(http, body):
    assert control(http, "post", "units", body)[0] == 400
    assert Unit.objects.count() == 0


def test_reset_wipes_everything(platform, http):
    platform.numbers(2)
    control(http, "post", "faults", {"latency_ms": 1})
    control(http, "post", "clock", {"offset_s": 100})
    assert control(http, "post", "reset") == (200, {"reset": True})
    assert (Unit.objects.count(), NumberBlock.objects.count()) == (0, 0)
    assert control(http, "get", "faults") == (200, {"faults": []})
    assert platform.call("CXNSRJBXX").error == ("1004", "接入单位不存在或未启用")


def test_the_clock_moves_the_timestamp_window(platform, http):
    status, answer = control(http, "post", "clock", {"offset_s": 400})
    assert status == 200
    assert platform.call("CXKYSL").error[0] == "1002"
    assert platform.call("CXKYSL", timestamp=str(int((time.time() + 400) * 1000))).returncode == "00"
    control(http, "delete", "clock")
    assert platform.call("CXKYSL").returncode == "00"


def test_the_clock_can_be_set_to_a_moment(platform, http):
    status, answer = control(http, "post", "clock", {"now": "2030-06-01T12:00:00+08:00"})
    assert status == 200 and answer["now"].startswith("2030-06-01T04:00:0")
    assert control(http, "post", "clock", {"now": "someday"}) == (400, {"error": "now 须为 ISO 8601 时间"})


def test_maintenance_answers_2003_for_the_named_services_only(platform, http):
    control(http, "post", "faults", {"maintenance": True, "services": ["CXKYSL"]})
    answer = platform.call("CXKYSL")
    assert (answer.status, answer.error) == (503, ("2003", "系统维护中，请稍后重试"))
    assert platform.call("CXNSRJBXX").returncode == "00"
    control(http, "delete", "faults")
    assert platform.call("CXKYSL").returncode == "00"


def test_busy_answers_2002_the_given_number_of_times(platform, http):
    status, listed = control(http, "post", "faults", {"busy_probability": 1, "times": 2})
    assert listed == {"faults": [{"kind": "busy_probability", "value": 1, "services": [], "times": 2}]}
    answers = [platform.call("CXKYSL") for _ in range(3)]
    assert [a.error for a in answers[:2]] == [("2002", "系统繁忙，请稍后重试")] * 2
    assert answers[0].status == 503
    assert answers[2].returncode == "00"


def test_latency_delays_the_answer(platform, http):
    control(http, "post", "faults", {"latency_ms": 400, "times": 1})
    started = time.monotonic()
    assert platform.call("CXKYSL").returncode == "00"
    assert time.monotonic() - started >= 0.4
    started = time.monotonic()
    platform.call("CXKYSL")
    assert time.monotonic() - started < 0.4


def test_a_throttle_fault_lowers_the_rate(platform, http):
    control(http, "post", "faults", {"throttle_per_s": 1})
    time.sleep(1 - time.time() % 1 + 0.01)
    assert platform.call("CXKYSL").returncode == "00"
    answer = platform.call("CXKYSL")
    assert (answer.status, answer.error) == (429, ("2001", "当前访问请求较多，请5分钟后重试"))


def test_a_processing_delay_fault_holds_the_result(seller, http):
    control(http, "post", "faults", {"processing_delay_s": 30, "services": ["QDFPSC"], "times": 1})
    sllsh = seller.upload([invoice(next_number(seller))])
    assert seller.result(sllsh)["status"] == "01"
    assert seller.result(seller.upload([invoice(next_number(seller))]))["status"] == "00"
    control(http, "post", "clock", {"offset_s": 31})
    assert seller.result(sllsh)["status"] == "00"


@pytest.mark.parametrize("body", [{"busy_probability": 2}, {"maintenance": "yes"}, {"nonsense": 1}, {},
                                  {"latency_ms": 5, "times": 0}])
def test_it_refuses_malformed_faults(http, body):
    assert control(http, "post", "faults", body)[0] == 400
    assert control(http, "get", "faults") == (200, {"faults": []})


def test_refused_connection_answers_nothing_and_processes_nothing(platform, http):
    control(http, "post", "faults", {"refuse_connections": True, "times": 1})
    body, headers = platform.envelope("QDFPPLFM", {"nsrsbh": SELLER_ID, "lysl": 1, "ywlsh": "R1"})
    response = http.post(platform.url("QDFPPLFM"), data=body, content_type="text/plain", headers=headers)
    with pytest.raises(ConnectionAbortedError):
        b"".join(response.streaming_content)
    assert NumberBlock.objects.count() == 0
    # Nothing arrived, so the same call may be sent again as it was.
    assert platform.post(platform.url("QDFPPLFM"), body, headers).returncode == "00"


def test_drop_after_upload_stores_the_upload_but_answers_nothing(seller, http):
    control(http, "post", "faults", {"drop_after_upload": True, "times": 1})
    number = next_number(seller)
    body, headers = seller.envelope("QDFPSC", [invoice(number, ptbh=seller.jrdwptbh)])
    response = http.post(seller.url("QDFPSC"), data=body, content_type="text/plain", headers=headers)
    with pytest.raises(ConnectionAbortedError):
        b"".join(response.streaming_content)
    assert UploadedInvoice.objects.get().status == "00"
    assert seller.ok("FPZTXXCX", {"nsrsbh": SELLER_ID, "fphm": number})["fpzt"] == "01"
    assert seller.issue([invoice(number)])[0]["status"] == "03"


def _live_unit(live_server) -> PlatformClient:
    credentials = requests.post(
        f"{live_server.url}/sandbox/control/units", json={"nsrsbh": SELLER_ID, "nsrmc": "上海测试商贸有限公司"},
        headers={"X-Sandbox-Token": settings.SANDBOX_ADMIN_TOKEN}, timeout=10,
    ).json()
    return PlatformClient(http=RequestsHttp(live_server.url), nsrsbh=SELLER_ID, signature_header="access-signature",
                          **credentials)


def _live_fault(live_server, fault: dict) -> None:
    response = requests.post(f"{live_server.url}/sandbox/control/faults", data=json.dumps(fault),
                             headers={"X-Sandbox-Token": settings.SANDBOX_ADMIN_TOKEN}, timeout=10)
    assert response.status_code == 200


def test_over_http_a_refused_connection_is_a_connection_error(live_server, transactional_db):
    unit = _live_unit(live_server)
    _live_fault(live_server, {"refuse_connections": True, "times": 1})
    with pytest.raises(requests.ConnectionError):
        unit.call("CXKYSL")
    assert unit.call("CXKYSL").returncode == "00"


def test_over_http_a_dropped_upload_is_a_connection_error_but_stored(live_server, transactional_db):
    unit = _live_unit(live_server)
    unit.download_quota()
    number = unit.numbers(1)[0]
    _live_fault(live_server, {"drop_after_upload": True})
    with pytest.raises(requests.ConnectionError):
        unit.upload([invoice(number)])
    assert unit.ok("FPZTXXCX", {"nsrsbh": SELLER_ID, "fphm": number})["fpzt"] == "01"
