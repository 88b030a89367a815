"""Pipeline tests: real PostgreSQL, Redis, the sandbox over real HTTP (live_server) and real RQ workers."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from decimal import Decimal
from types import SimpleNamespace

import django_rq
import pytest
import requests
from django.conf import settings as django_settings
from rq import SimpleWorker

from audit.services import Actor
from invoicing.integrations.apikeys import api_key_create
from stores.services import company_set_platform_credentials
from tests.factories import CompanyFactory, StoreFactory

CHEESE = "1030204020000000000"  # 固体及半固体乳制品: 13 %
VEGETABLE = "1010112010000000000"  # 根菜类蔬菜: 9 %


def pytest_collection_modifyitems(items):
    # Real workers and the live server need committed rows; the exchange log writes on its own alias.
    for item in items:
        path = str(item.fspath)
        if "tests/pipeline/" in path and "test_bench_smoke" not in path and not item.get_closest_marker("django_db"):
            item.add_marker(pytest.mark.django_db(transaction=True, databases="__all__"))


@pytest.fixture(autouse=True)
def _pipeline_settings(settings):
    settings.SANDBOX_PROCESSING_DELAY_S = 0
    settings.SANDBOX_THROTTLE_PER_S = 1000
    settings.TAX_RETRY_INTERVALS = [0, 0, 0]
    settings.TAX_POLL_DELAY = 0
    settings.TAX_PLATFORM_READ_TIMEOUT = 5
    settings.TAX_NUMBER_BLOCK_SIZE = 200
    settings.TAX_NUMBER_LOW_WATER = 20


class Api:
    """A shop system: signs and sends requests to the live server."""

    def __init__(self, base: str, key_id: str, secret: str):
        self.base, self.key_id, self.secret = base, key_id, secret

    def headers(self, method: str, path: str, body: bytes, *, timestamp=None, nonce=None, secret=None) -> dict:
        timestamp = str(int(time.time())) if timestamp is None else str(timestamp)
        nonce = nonce or secrets.token_hex(12)
        message = "\n".join([method, path, timestamp, nonce, hashlib.sha256(body).hexdigest()])
        signature = hmac.new((secret or self.secret).encode(), message.encode(), hashlib.sha256).hexdigest()
        return {"X-Key-Id": self.key_id, "X-Timestamp": timestamp, "X-Nonce": nonce, "X-Signature": signature,
                "Content-Type": "application/json"}

    def send(self, method: str, path: str, payload=None, *, raw: bytes | None = None, **header_overrides):
        body = raw if raw is not None else (b"" if payload is None else json.dumps(payload, ensure_ascii=False).encode())
        headers = self.headers(method, path, body, **header_overrides)
        return requests.request(method, self.base + path, data=body, headers=headers, timeout=30)

    def post(self, path, payload=None, **kw):
        return self.send("POST", path, payload, **kw)

    def get(self, path, **kw):
        return self.send("GET", path, **kw)


def sandbox_control(base: str, method: str, path: str, payload=None):
    response = requests.request(method, f"{base}/sandbox/control/{path}", json=payload,
                                headers={"X-Sandbox-Token": django_settings.SANDBOX_ADMIN_TOKEN}, timeout=10)
    assert response.status_code == 200, response.text
    return response.json()


def connect_company(base: str, company) -> None:
    unit = sandbox_control(base, "post", "units", {"nsrsbh": company.tax_id, "nsrmc": company.name})
    company_set_platform_credentials(company=company, actor=Actor.system(), unit_id=unit["jrdwptbh"],
                                     user_unit_id=unit["sydwptbh"], secret=unit["secret"])
    company.refresh_from_db()


@pytest.fixture
def live_app(live_server, settings):
    """The whole app (integration API and /sandbox) over real HTTP."""
    settings.TAX_PLATFORM_URL = live_server.url + "/sandbox"
    return live_server


@pytest.fixture
def shop(live_app):
    """A company connected to the sandbox, two stores (A1 100 % automatic, A2), an API key for each."""
    live_server = live_app
    company = CompanyFactory(name="上海测试商贸有限公司")
    connect_company(live_server.url, company)
    a1 = StoreFactory(company=company, code="A1", rollout_percent=100)
    a2 = StoreFactory(company=company, code="A2", rollout_percent=100)
    key1, secret1 = api_key_create(store=a1, actor=Actor.system(), label="POS A1")
    key2, secret2 = api_key_create(store=a2, actor=Actor.system(), label="POS A2")
    return SimpleNamespace(
        base=live_server.url, company=company, a1=a1, a2=a2, key1=key1, key2=key2,
        api=Api(live_server.url, key1.key_id, secret1), api2=Api(live_server.url, key2.key_id, secret2),
        control=lambda method, path, payload=None: sandbox_control(live_server.url, method, path, payload),
    )


def run_jobs(max_rounds: int = 50) -> None:
    """Drain the tax and delivery queues with an in-process worker (burst)."""
    connection = django_rq.get_connection("tax")
    queues = [django_rq.get_queue("tax"), django_rq.get_queue("delivery")]
    for _ in range(max_rounds):
        SimpleWorker(queues, connection=connection).work(burst=True, logging_level="WARNING")
        if not any(len(q) for q in queues):
            # Jobs scheduled with a delay are moved in by the scheduler; tests use no delays.
            return


_seq = iter(range(1, 10**9))


def an_order(order_no: str | None = None, *, lines=None, **overrides) -> dict:
    lines = lines or [
        {"name": "马苏里拉奶酪", "tax_code": CHEESE, "rate": "0.13", "quantity": "2", "unit_price": "56.50",
         "unit": "盒"},
        {"name": "白萝卜", "tax_code": VEGETABLE, "rate": "0.09", "quantity": "1.5", "unit_price": "4.36", "unit": "千克"},
    ]
    total = sum((Decimal(str(line["quantity"])) * Decimal(str(line["unit_price"]))).quantize(Decimal("0.01"))
                for line in lines)
    order = {
        "order_no": order_no or f"T{next(_seq):08d}",
        "paid_at": "2025-01-01T10:00:00+08:00",
        "lines": lines,
        "total": str(total),
    }
    order.update(overrides)
    return order
