"""The envelope: keys, signature, timestamp, nonce, units, headers, throttling."""

import json
import threading
import time

import pytest
import requests

from invoicing.taxapi import crypto
from sandbox.models import NumberBlock
from tests.sandbox.platform import (
    SELLER_ID,
    PlatformClient,
    RequestsHttp,
    register_unit,
)

pytestmark = pytest.mark.django_db


def test_it_answers_a_signed_call_with_encrypted_data(platform):
    answer = platform.call("CXNSRJBXX")
    assert answer.status == 200
    assert answer.outer["httpStatusCode"] == "200"
    assert len(answer.outer["body"]["Response"]["RequestId"]) == 32
    assert answer.data == {
        "returncode": "00", "returnmsg": "成功", "nsrsbh": SELLER_ID, "nsrmc": "上海测试商贸有限公司",
        "nsrztdm": "03", "nsrztmc": "正常", "scjydz": "",
    }


def test_it_refuses_a_body_encrypted_with_another_key(platform):
    answer = platform.call("CXNSRJBXX", key="00" * 16)
    assert (answer.status, answer.error) == (400, ("1005", "报文解密失败，请检查密钥与报文"))
    assert answer.outer["httpStatusCode"] == "400"


def test_it_refuses_a_body_that_is_not_base64_sm4(platform):
    answer = platform.call("CXNSRJBXX", body="not base64 at all!")
    assert (answer.status, answer.error) == (400, ("1005", "报文解密失败，请检查密钥与报文"))


def test_it_refuses_a_body_swapped_after_signing(platform):
    body, headers = platform.envelope("CXNSRJBXX", {"nsrsbh": SELLER_ID})
    other = crypto.encrypt_body(platform.secret, json.dumps({"nsrsbh": SELLER_ID, "x": 1}).encode())
    answer = platform.post(platform.url("CXNSRJBXX"), other, headers)
    assert (answer.status, answer.error) == (401, ("1001", "签名验证失败"))
    assert body != other


def test_it_refuses_a_wrong_signature(platform):
    answer = platform.call("CXNSRJBXX", signature="ab" * 32)
    assert (answer.status, answer.error) == (401, ("1001", "签名验证失败"))


def test_it_refuses_a_missing_signature(platform):
    answer = platform.call("CXNSRJBXX", signature="", headers={"access_signature": None})
    assert (answer.status, answer.error) == (401, ("1001", "签名验证失败"))


@pytest.mark.parametrize("offset_ms", [-301_000, 301_000])
def test_it_refuses_a_timestamp_outside_300_seconds(platform, offset_ms):
    answer = platform.call("CXNSRJBXX", timestamp=str(int(time.time() * 1000) + offset_ms))
    assert (answer.status, answer.error) == (401, ("1002", "时间戳超出允许范围（±300秒）"))


def test_it_accepts_a_timestamp_just_inside_the_window(platform):
    answer = platform.call("CXNSRJBXX", timestamp=str(int(time.time() * 1000) - 290_000))
    assert answer.returncode == "00"


def test_it_refuses_a_replayed_nonce(platform):
    body, headers = platform.envelope("CXNSRJBXX", {"nsrsbh": SELLER_ID})
    first = platform.post(platform.url("CXNSRJBXX"), body, headers)
    again = platform.post(platform.url("CXNSRJBXX"), body, headers)
    assert first.returncode == "00"
    assert (again.status, again.error) == (401, ("1003", "请求重复（nonce 已使用）"))


def test_it_does_not_burn_the_nonce_of_a_badly_signed_call(platform):
    nonce = crypto.new_nonce()
    bad = platform.call("CXNSRJBXX", nonce=nonce, signature="00" * 32)
    good = platform.call("CXNSRJBXX", nonce=nonce)
    assert bad.error[0] == "1001"
    assert good.returncode == "00"


def test_it_refuses_an_unknown_unit(platform):
    platform.jrdwptbh = "9" * 20
    answer = platform.call("CXNSRJBXX")
    assert (answer.status, answer.error) == (401, ("1004", "接入单位不存在或未启用"))


def test_it_refuses_a_using_unit_that_does_not_belong_to_the_connecting_unit(platform):
    platform.sydwptbh = "8" * 20
    assert platform.call("CXNSRJBXX").error == ("1004", "接入单位不存在或未启用")


@pytest.mark.parametrize(
    ("headers", "name"),
    [({"nonce": None}, "nonce"), ({"ptlx": "1"}, "ptlx"), ({"fwbm": "CXKYSL"}, "fwbm"), ({"nonce": "short"}, "nonce"),
     ({"timestamp": "yesterday"}, "timestamp"), ({"jrdwptbh": None}, "jrdwptbh")],
)
def test_it_refuses_missing_or_malformed_headers(platform, headers, name):
    answer = platform.call("CXNSRJBXX", headers=headers)
    assert (answer.status, answer.error) == (400, ("1006", f"请求头缺失或格式错误：{name}"))


def test_it_refuses_an_unknown_service(platform):
    answer = platform.call("NOSUCH", headers={"fwbm": "NOSUCH"})
    assert (answer.status, answer.error) == (404, ("1007", "服务不存在：NOSUCH"))


def test_it_refuses_an_unknown_capability(platform):
    answer = platform.call("CXKYSL", nlbm="999999", headers={"nlbm": "999999"})
    assert (answer.status, answer.error) == (404, ("1007", "服务不存在：CXKYSL"))


def test_it_refuses_another_taxpayers_id_in_the_body(platform):
    answer = platform.call("CXNSRJBXX", {"nsrsbh": "91310000000000000X"})
    assert answer.data == {"returncode": "10", "returnmsg": "纳税人识别号与接入单位不符（nsrsbh）"}


def test_it_only_takes_post(platform, http):
    assert http.get(platform.url("CXNSRJBXX")).status_code == 405


def test_it_verifies_an_sm2_units_signature(http):
    private, public = crypto.sm2_generate_keypair()
    credentials = register_unit(http, nsrsbh="91310000MA1K0000XX"[:15] + "123", sign_type="SM2", public_key=public)
    unit = PlatformClient(http=http, nsrsbh="91310000MA1K000123", private_key=private, public_key=public, **credentials)
    assert unit.call("CXNSRJBXX").returncode == "00"
    # An HMAC signature, however correct, is not what an SM2 unit signs with.
    body, headers = unit.envelope("CXNSRJBXX", {"nsrsbh": unit.nsrsbh})
    message = crypto.signing_string(service="CXNSRJBXX", timestamp=headers["timestamp"], nonce=headers["nonce"], body_b64=body)
    headers["access_signature"] = crypto.sign_hmac(unit.secret, message)
    assert unit.post(unit.url("CXNSRJBXX"), body, headers).error == ("1001", "签名验证失败")
    other_private, other_public = crypto.sm2_generate_keypair()
    unit.private_key, unit.public_key = other_private, other_public
    assert unit.call("CXNSRJBXX").error == ("1001", "签名验证失败")


def _start_of_second():
    time.sleep(1 - time.time() % 1 + 0.01)


def test_it_throttles_per_unit_and_capability(platform, settings):
    settings.SANDBOX_THROTTLE_PER_S = 3
    _start_of_second()
    answers = [platform.call("CXKYSL") for _ in range(4)]
    assert [a.returncode for a in answers[:3]] == ["00", "00", "00"]
    assert (answers[3].status, answers[3].error) == (429, ("2001", "当前访问请求较多，请5分钟后重试"))
    time.sleep(1.05)
    assert platform.call("CXKYSL").returncode == "00"


def test_it_serves_the_platform_over_real_http(live_server, transactional_db):
    http = RequestsHttp(live_server.url)
    credentials = json.loads(requests.post(
        f"{live_server.url}/sandbox/control/units", json={"nsrsbh": SELLER_ID, "nsrmc": "上海测试商贸有限公司"},
        headers={"X-Sandbox-Token": __import__("django.conf").conf.settings.SANDBOX_ADMIN_TOKEN}, timeout=10,
    ).content)
    # Django's live server drops header names with "_"; the dash spelling is accepted as well.
    unit = PlatformClient(http=http, nsrsbh=SELLER_ID, signature_header="access-signature", **credentials)
    numbers = unit.numbers(3)
    assert len(numbers) == 3
    assert unit.call("CXKYSL").data["slList"][0] == {"slv": "0.13", "mc": "13%"}


def test_runsandbox_serves_the_platform_with_the_underscore_header(transactional_db):
    from sandbox.management.commands.runsandbox import make_server

    server = make_server(host="127.0.0.1", port=0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        root = f"http://127.0.0.1:{server.server_port}"
        credentials = requests.post(
            f"{root}/sandbox/control/units", json={"nsrsbh": SELLER_ID, "nsrmc": "上海测试商贸有限公司"},
            headers={"X-Sandbox-Token": __import__("django.conf").conf.settings.SANDBOX_ADMIN_TOKEN}, timeout=10,
        ).json()
        unit = PlatformClient(http=RequestsHttp(root), nsrsbh=SELLER_ID, **credentials)
        assert unit.numbers(2)[1].endswith("00000000000002")
        assert NumberBlock.objects.count() == 1
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.django_db(transaction=True, databases="__all__")
def test_runsandbox_accepts_the_product_client_sending_both_header_spellings():
    """Regression: the client sends access_signature and access-signature; runsandbox keeps both
    and WSGI folded them into "sig,sig", which was refused with 1001 on the demo's port 8001."""
    from invoicing.taxapi.leqi import LeqiProvider
    from sandbox.management.commands.runsandbox import make_server

    server = make_server(host="127.0.0.1", port=0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        root = f"http://127.0.0.1:{server.server_port}"
        credentials = requests.post(
            f"{root}/sandbox/control/units", json={"nsrsbh": SELLER_ID, "nsrmc": "上海测试商贸有限公司"},
            headers={"X-Sandbox-Token": __import__("django.conf").conf.settings.SANDBOX_ADMIN_TOKEN}, timeout=10,
        ).json()
        provider = LeqiProvider(base_url=f"{root}/sandbox", unit_id=credentials["jrdwptbh"],
                                user_unit_id=credentials["sydwptbh"], secret_hex=credentials["secret"],
                                taxpayer_id=SELLER_ID)
        assert provider.taxpayer_info().status_code == "03"
    finally:
        server.shutdown()
        server.server_close()


def test_the_answers_body_is_json_text(platform, http):
    """Like the real platform, the outer answer's ``body`` is a JSON string, not an object."""
    body, headers = platform.envelope("CXNSRJBXX", {"nsrsbh": SELLER_ID})
    outer = json.loads(http.post(platform.url("CXNSRJBXX"), data=body, content_type="text/plain",
                                 headers=headers).content)
    assert outer["httpStatusCode"] == "200" and isinstance(outer["body"], str)
    data = json.loads(outer["body"])["Response"]["Data"]
    assert json.loads(crypto.decrypt_body(platform.secret, data))["nsrsbh"] == SELLER_ID
    body, headers = platform.envelope("CXNSRJBXX", {"nsrsbh": SELLER_ID}, signature="ab" * 32)
    outer = json.loads(http.post(platform.url("CXNSRJBXX"), data=body, content_type="text/plain",
                                 headers=headers).content)
    assert outer["httpStatusCode"] == "401" and isinstance(outer["body"], str)
    assert json.loads(outer["body"])["Response"]["Error"] == {"Code": "1001", "Message": "签名验证失败"}


VIRTUAL_COMPANY = ["LQSX_SWZJ_GT4_CXXNQYXX", "LQSX_SWZJ_GT4_QYXXCSH"]


@pytest.mark.parametrize("fwbm", VIRTUAL_COMPANY)
def test_the_virtual_company_services_are_called_without_the_capability(platform, fwbm):
    answer = platform.call(fwbm, {"nsrsbh": SELLER_ID, "ssjswjgDm": "13100000000"}, nlbm=None)
    assert answer.status == 200
    assert answer.returncode == "00"
    assert platform.url(fwbm, None) == f"/sandbox/access/v2/invoke/{fwbm}/"


@pytest.mark.parametrize("fwbm", VIRTUAL_COMPANY)
def test_the_virtual_company_services_are_not_under_the_capability(platform, fwbm):
    answer = platform.call(fwbm, {"nsrsbh": SELLER_ID, "ssjswjgDm": "13100000000"})
    assert (answer.status, answer.error) == (404, ("1007", f"服务不存在：{fwbm}"))


@pytest.mark.parametrize("fwbm", ["CXKYSL", "CXNSRJBXX", "QDFPSC", "NOSUCH"])
def test_the_other_services_need_the_capability(platform, fwbm):
    answer = platform.call(fwbm, {"nsrsbh": SELLER_ID}, nlbm=None)
    assert (answer.status, answer.error) == (404, ("1007", f"服务不存在：{fwbm}"))


def test_a_call_without_the_capability_is_still_signed(platform):
    answer = platform.call("LQSX_SWZJ_GT4_CXXNQYXX", {"nsrsbh": SELLER_ID, "ssjswjgDm": "13100000000"}, nlbm=None,
                           signature="ab" * 32)
    assert (answer.status, answer.error) == (401, ("1001", "签名验证失败"))
    answer = platform.call("LQSX_SWZJ_GT4_CXXNQYXX", {"nsrsbh": "91310000000000000X", "ssjswjgDm": "13100000000"},
                           nlbm=None)
    assert answer.data == {"returncode": "10", "returnmsg": "纳税人识别号与接入单位不符（nsrsbh）"}


def test_the_upload_takes_a_list_and_the_others_an_object(platform):
    assert platform.call("CXNSRJBXX", [{"nsrsbh": SELLER_ID}]).error == ("1005", "报文解密失败，请检查密钥与报文")
    assert platform.call("QDFPSC", {"nsrsbh": SELLER_ID}).error == ("1005", "报文解密失败，请检查密钥与报文")
