"""The shop API while the database is unreachable (a restart, a failover): JSON 503, never HTML 500.

Seen in bench.faults: during its PostgreSQL restart one batch answered the HTML 500 page. The
outage here is real: the request's new connection goes to a port where nothing listens.
"""

import json
import socket

import pytest
from django.db import connection
from django.test import Client

from audit.services import Actor
from invoicing.integrations.apikeys import api_key_create
from tests.factories import CompanyFactory, StoreFactory
from tests.pipeline.conftest import Api, an_order

pytestmark = pytest.mark.django_db(transaction=True)


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_a_request_while_the_database_is_down_gets_a_json_503_and_may_be_sent_again():
    store = StoreFactory(company=CompanyFactory(), code="A1", rollout_percent=0)
    key, secret = api_key_create(store=store, actor=Actor.system(), label="POS")[:2]
    order = an_order("DB-DOWN-1")
    body = json.dumps(order, ensure_ascii=False).encode()
    shop = Api("", key.key_id, secret)
    client = Client()

    def send():
        headers = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in shop.headers("POST", "/api/v1/orders", body).items()
                   if k != "Content-Type"}
        return client.post("/api/v1/orders", data=body, content_type="application/json", **headers)

    saved = connection.settings_dict["PORT"], connection.settings_dict["HOST"]
    connection.close()
    connection.settings_dict["HOST"], connection.settings_dict["PORT"] = "127.0.0.1", str(_closed_port())
    try:
        down = send()
    finally:
        connection.close()
        connection.settings_dict["PORT"], connection.settings_dict["HOST"] = saved
    assert down.status_code == 503, down.content[:300]
    assert down["Content-Type"].startswith("application/json") and down["Retry-After"] == "5"
    assert down.json()["error"]["code"] == "service_unavailable"
    assert "请稍后按原样重发" in down.json()["error"]["message"]
    again = send()  # the database is back: the same request is taken once
    assert again.status_code == 201, again.content[:300]
