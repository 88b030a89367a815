"""Row 8 of issue 13: the manual form with Redis really unreachable (queues and cache pointed at a
closed port): confirm saves the invoice, answers no 5xx, and the sweeper enqueues it once Redis is back."""

import django_rq
import pytest
from django.urls import reverse
from redis import Redis
from rq import Queue

from invoicing import enqueue as enqueue_module
from invoicing.issuing.pipeline import pipeline_sweep
from invoicing.models import Invoice
from tests.web.test_issue_form import URL, form_data

pytestmark = pytest.mark.django_db(transaction=True)

DEAD = "redis://127.0.0.1:1/0"  # nothing listens on port 1


@pytest.fixture
def redis_down(settings, monkeypatch):
    dead = Redis.from_url(DEAD, socket_connect_timeout=0.2)
    monkeypatch.setattr(enqueue_module, "get_queue", lambda name: Queue(name, connection=dead))
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": DEAD,
                                   "OPTIONS": {"socket_connect_timeout": 0.2}}}
    yield monkeypatch


def test_confirm_with_redis_down_saves_the_invoice_and_the_sweeper_sends_it_later(tenants, client_for, redis_down,
                                                                                  settings):
    c = client_for(tenants.clerk_a1)
    data = {**form_data(tenants.a1, submission_key="redis-down"), "step": "confirm"}
    response = c.post(URL, data)
    invoice = Invoice.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("invoicing:invoice_detail",
                                                                            args=[invoice.pk])
    assert invoice.status == Invoice.Status.PENDING
    # A double click while Redis is down still makes one invoice (the key is in PostgreSQL now).
    assert c.post(URL, data).status_code == 302 and Invoice.objects.count() == 1
    page = c.get(response["Location"])
    assert page.status_code == 200 and "发票已提交开具" in page.content.decode()

    redis_down.undo()
    assert len(django_rq.get_queue("tax")) == 0, "nothing could be enqueued while Redis was down"
    settings.TAX_SWEEP_PENDING_AGE = 0
    assert pipeline_sweep()["companies"] == 1
    assert len(django_rq.get_queue("tax")) == 1
