"""Red-letter tests: real PostgreSQL and Redis, the sandbox over real HTTP, blue invoices from the real pipeline.

The server, the connected company (``shop``), the job runner and the order builder are the
pipeline tests' own (tests/pipeline/conftest.py), imported rather than copied.
"""

from __future__ import annotations

import time
from datetime import timedelta
from types import SimpleNamespace

import django_rq
import pytest
from django.test import Client
from rq import SimpleWorker

from invoicing.models import Invoice
from stores.roles import Role
from tests.factories import CompanyFactory, StoreFactory, user_with_role
from tests.pipeline.conftest import (  # noqa: F401 - fixtures used by the tests in this folder
    CHEESE,
    VEGETABLE,
    _pipeline_settings,
    an_order,
    live_app,
    run_jobs,
    shop,
)
from tests.sandbox.platform import BUYER_ID, red_form_request

SERVICE = "3070401000000000000"  # 餐饮服务: 6 %


def pytest_collection_modifyitems(items):
    # The live server and the workers need committed rows; the exchange log writes on its own alias.
    for item in items:
        if "tests/redletter/" in str(item.fspath) and "test_rules" not in str(item.fspath) \
                and not item.get_closest_marker("django_db"):
            item.add_marker(pytest.mark.django_db(transaction=True, databases="__all__"))


@pytest.fixture
def people(shop):  # noqa: F811 - the imported fixture
    """Users of the shop's company in every role, and a stranger of another company."""
    other = CompanyFactory(name="乙公司")
    return SimpleNamespace(
        clerk=user_with_role(Role.STORE_CLERK, store=shop.a1, username="a1_clerk"),
        manager=user_with_role(Role.STORE_MANAGER, store=shop.a1, username="a1_manager"),
        clerk_a2=user_with_role(Role.STORE_CLERK, store=shop.a2, username="a2_clerk"),
        finance=user_with_role(Role.HQ_FINANCE, company=shop.company, username="hq_finance"),
        stranger=user_with_role(Role.HQ_ADMIN, company=other, username="b_admin"),
        other_store=StoreFactory(company=other, code="B1"),
    )


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def goods_lines(quantity="3", price="113"):
    """Prices with tax (the shop's default): 3 × 113 = 300.00 + 39.00 tax, unit price 100 on the invoice."""
    return [{"name": "马苏里拉奶酪", "tax_code": CHEESE, "rate": "0.13", "quantity": quantity, "unit_price": price,
             "unit": "盒"}]


def service_lines():
    """2 × 106 with tax = 200.00 + 12.00 tax."""
    return [{"name": "堂食餐费", "tax_code": SERVICE, "rate": "0.06", "quantity": "2", "unit_price": "106"}]


def issue_blue(shop, *, lines=None, api=None, special=False, order_no=None) -> Invoice:  # noqa: F811
    """Post a paid order through the integration API and run the pipeline until it is issued."""
    extra = {"invoice_type": "01", "buyer": {"name": "深圳购买方科技有限公司", "tax_id": BUYER_ID}} if special else {}
    order = an_order(order_no, lines=lines or goods_lines(), **extra)
    response = (api or shop.api).post("/api/v1/orders", order)
    assert response.status_code == 201, response.text
    run_jobs()
    invoice = Invoice.objects.get(order__order_no=order["order_no"], kind=Invoice.Kind.BLUE)
    assert invoice.status == Invoice.Status.ISSUED, invoice.failure_message
    return invoice


def buyer_form(blue: Invoice, *, chyydm: str, items: list[dict]) -> dict:
    """The buyer's entry of a form (control API, POST red-forms) against ``blue`` as the platform holds it."""
    from sandbox.models import UploadedInvoice

    uploaded = UploadedInvoice.objects.get(fphm=blue.number, status=UploadedInvoice.ISSUED).payload
    return red_form_request(uploaded, chyydm=chyydm, items=items, lrfsf="1")


def run_default_jobs() -> None:
    connection = django_rq.get_connection("default")
    SimpleWorker([django_rq.get_queue("default")], connection=connection).work(burst=True, logging_level="WARNING")


@pytest.fixture
def moved_clock(shop, monkeypatch):  # noqa: F811 - the imported fixture
    """Move the sandbox's clock and the client's timestamps together (the platform refuses ±300 s)."""
    from invoicing.taxapi import envelope

    def move(hours: float):
        shop.control("post", "clock", {"offset_s": int(hours * 3600)})
        offset_ns = int(hours * 3600 * 1e9)
        monkeypatch.setattr(envelope.time, "time_ns", lambda: _real_ns() + offset_ns)
        return timedelta(hours=hours)

    yield move
    shop.control("delete", "clock")


def _real_ns() -> int:
    return int(time.time() * 1e9)
