"""Issue 13 row 12: the sandbox types counts strictly, enforces the platform's field lengths and
answers a platform error body (docs/tax-platform.md §4), never a bare HTTP 500, even with Redis down."""

import json

import pytest
import requests
from django.conf import settings as django_settings

from bench.faults import RedisServer
from invoicing.rules import limits
from sandbox.models import NumberBlock
from tests.sandbox.conftest import next_number
from tests.sandbox.platform import SELLER_ID, PlatformClient, RequestsHttp, invoice, line
from tests.sandbox.test_rules import refused

pytestmark = pytest.mark.django_db(transaction=True)


def live_unit(root: str) -> PlatformClient:
    credentials = requests.post(
        f"{root}/sandbox/control/units", json={"nsrsbh": SELLER_ID, "nsrmc": "上海测试商贸有限公司"},
        headers={"X-Sandbox-Token": django_settings.SANDBOX_ADMIN_TOKEN}, timeout=10).json()
    # Django's live server drops header names with "_"; the dash spelling is accepted as well.
    return PlatformClient(http=RequestsHttp(root), nsrsbh=SELLER_ID, signature_header="access-signature",
                          **credentials)


def test_it_refuses_a_string_lysl_over_http(live_server):
    """Regression: QDFPPLFM with "lysl": "1" (a string) was accepted."""
    unit = live_unit(live_server.url)
    answer = unit.call("QDFPPLFM", {"nsrsbh": SELLER_ID, "lysl": "1", "ywlsh": "S1"})
    assert answer.status == 200
    assert answer.data == {"returncode": "01", "returnmsg": "领用数量须为整数（JSON 数字，不能是字符串或小数）（lysl）"}
    assert NumberBlock.objects.count() == 0
    assert unit.ok("QDFPPLFM", {"nsrsbh": SELLER_ID, "lysl": 1, "ywlsh": "S1"})["lysl"] == 1


@pytest.fixture
def own_redis(tmp_path, settings):
    server = RedisServer(tmp_path)
    server.start()
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                   "LOCATION": server.url, "KEY_PREFIX": "sandbox-test"}}
    yield server
    server.stop()


def test_it_answers_system_busy_not_a_bare_500_while_redis_is_down(own_redis, live_server):
    """Regression: with Redis stopped the sandbox answered a bare HTTP 500 (its nonces live there)."""
    unit = live_unit(live_server.url)
    assert unit.numbers(2)
    own_redis.stop()
    body, headers = unit.envelope("QDFPPLFM", {"nsrsbh": SELLER_ID, "lysl": 2, "ywlsh": "DOWN"})
    response = requests.post(f"{live_server.url}/sandbox/access/v2/invoke/202007/QDFPPLFM/", data=body.encode(),
                             headers={**headers, "Content-Type": "text/plain; charset=utf-8"}, timeout=10)
    assert response.status_code == 503
    assert response.headers["Content-Type"].startswith("application/json")
    outer = json.loads(response.content)
    assert outer["httpStatusCode"] == "503"
    answer = json.loads(outer["body"])["Response"]  # body is JSON text, as the platform sends it
    assert answer["Error"] == {"Code": "2002", "Message": "系统繁忙，请稍后重试"}
    assert answer["RequestId"]
    assert not NumberBlock.objects.filter(ywlsh="DOWN").exists()
    own_redis.start()
    assert unit.ok("QDFPPLFM", {"nsrsbh": SELLER_ID, "lysl": 2, "ywlsh": "DOWN"})["lysl"] == 2


@pytest.mark.parametrize(("fields", "message"), [
    ({"gmfmc": "某" * (limits.BUYER_NAME_MAX + 1)}, "购买方名称不能超过100个字符（gmfmc）"),
    ({"gmfdz": "路" * 60, "gmfdh": "1" * 41}, "购买方地址和电话合计不能超过100个字符（gmfdz、gmfdh）"),
    ({"gmfkhh": "行" * 50, "gmfzh": "6" * 51}, "购买方开户行和账号合计不能超过100个字符（gmfkhh、gmfzh）"),
])
def test_it_refuses_buyer_fields_past_the_platforms_lengths(seller, fields, message):
    assert refused(seller, invoice(next_number(seller), **fields)) == message


@pytest.mark.parametrize(("field", "limit", "message"), [
    ("xmmc", limits.ITEM_NAME_MAX, "第1行：项目名称不能超过90个字符（fpmxList[0].xmmc）"),
    ("ggxh", limits.SPEC_MAX, "第1行：规格型号不能超过40个字符（fpmxList[0].ggxh）"),
    ("dw", limits.UNIT_MAX, "第1行：单位不能超过20个字符（fpmxList[0].dw）"),
])
def test_it_refuses_line_fields_past_the_platforms_lengths(seller, field, limit, message):
    item = line()
    item[field] = "长" * (limit + 1)
    if field == "xmmc":
        item["hwhyslwfwmc"] = f"*计算机外部设备*{item['xmmc']}"
    assert refused(seller, invoice(next_number(seller), [item])) == message


def test_it_accepts_fields_at_the_platforms_lengths(seller):
    item = line(name="长" * limits.ITEM_NAME_MAX)
    item["ggxh"], item["dw"] = "规" * limits.SPEC_MAX, "单" * limits.UNIT_MAX
    data = invoice(next_number(seller), [item], gmfmc="某" * limits.BUYER_NAME_MAX,
                   gmfdz="路" * 50, gmfdh="1" * 50, gmfkhh="行" * 50, gmfzh="6" * 50)
    assert seller.issue([data])[0]["status"] == "00"
