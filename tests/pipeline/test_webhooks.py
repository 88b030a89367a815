"""Status changes are pushed to the store's webhook, signed; a failing endpoint is retried."""

import hashlib
import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

from audit.services import Actor
from invoicing.integrations.webhooks import webhook_create
from invoicing.models import WebhookDelivery
from tests.pipeline.conftest import an_order, run_jobs


def receiver(fail_first: int = 0):
    received = []
    state = {"fail": fail_first}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - http.server's naming
            body = self.rfile.read(int(self.headers["Content-Length"]))
            if state["fail"]:
                state["fail"] -= 1
                self.send_response(500)
            else:
                received.append((dict(self.headers), body))
                self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, received


def test_an_issued_invoice_is_pushed_signed_and_retried(shop):
    server, received = receiver(fail_first=1)
    try:
        _, secret = webhook_create(store=shop.a1, actor=Actor.system(), url=f"http://127.0.0.1:{server.server_port}/hook")
        shop.api.post("/api/v1/orders", an_order("WH-1"))
        run_jobs()
    finally:
        server.shutdown()
    assert len(received) == 1
    headers, body = received[0]
    expected = hmac.new(secret.encode(), headers["X-Kaipiao-Timestamp"].encode() + b"\n" + body,
                        hashlib.sha256).hexdigest()
    assert headers["X-Kaipiao-Signature"] == expected
    payload = json.loads(body)
    assert payload["event"] == "invoice.issued" and payload["order_no"] == "WH-1"
    assert payload["invoice"]["status"] == "issued" and len(payload["invoice"]["number"]) == 20
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "delivered" and delivery.attempts == 2


def test_another_stores_webhook_hears_nothing(shop):
    server, received = receiver()
    try:
        webhook_create(store=shop.a2, actor=Actor.system(), url=f"http://127.0.0.1:{server.server_port}/hook")
        shop.api.post("/api/v1/orders", an_order("WH-2"))
        run_jobs()
    finally:
        server.shutdown()
    assert received == [] and WebhookDelivery.objects.count() == 0
