import pytest
from django.utils import timezone

from audit.models import Exchange
from audit.services import Actor
from stores.services import store_update

pytestmark = pytest.mark.django_db


def exchange(company, store=None, service="QDFPSC", outcome="ok", refs=(), message=""):
    return Exchange.objects.create(company=company, store=store, created_at=timezone.now(), service=service,
                                   request={"nsrsbh": company.tax_id}, response={"returncode": "00"},
                                   outcome=outcome, refs=list(refs), return_message=message)


def test_hq_finance_sees_its_companys_exchanges_only(client, tenants):
    exchange(tenants.a, tenants.a1, refs=["26310000000000000001"])
    exchange(tenants.b, tenants.b1, refs=["26310000000000000999"])
    client.force_login(tenants.hq_finance)
    body = client.get("/audit/exchanges/").content.decode()
    assert "QDFPSC" in body
    page = client.get("/audit/exchanges/").context["page"]
    assert [e.company_id for e in page] == [tenants.a.pk]


def test_a_store_manager_sees_only_their_stores_exchanges(client, tenants):
    mine, other = exchange(tenants.a, tenants.a1), exchange(tenants.a, tenants.a2)
    client.force_login(tenants.manager_a1)
    assert [e.pk for e in client.get("/audit/exchanges/").context["page"]] == [mine.pk]
    assert client.get(f"/audit/exchanges/{other.pk}/").status_code == 404
    assert client.get(f"/audit/exchanges/{mine.pk}/").status_code == 200


def test_a_clerk_cannot_open_the_exchange_log(client, tenants):
    ex = exchange(tenants.a, tenants.a1)
    client.force_login(tenants.clerk_a1)
    assert client.get("/audit/exchanges/").status_code == 404
    assert client.get(f"/audit/exchanges/{ex.pk}/").status_code == 404


def test_another_companys_exchange_is_404(client, tenants):
    ex = exchange(tenants.b, tenants.b1)
    client.force_login(tenants.hq_admin)
    assert client.get(f"/audit/exchanges/{ex.pk}/").status_code == 404


def test_it_filters_exchanges_by_ref_service_and_outcome(client, tenants):
    exchange(tenants.a, refs=["N1"], service="QDFPSC", outcome="ok")
    target = exchange(tenants.a, refs=["N2"], service="CXQDFPSCJG", outcome="retryable")
    client.force_login(tenants.hq_finance)
    page = client.get("/audit/exchanges/", {"ref": "N2"}).context["page"]
    assert [e.pk for e in page] == [target.pk]
    page = client.get("/audit/exchanges/", {"service": "cxqdfpscjg", "outcome": "retryable"}).context["page"]
    assert [e.pk for e in page] == [target.pk]


def test_it_explains_a_reversed_date_range(client, tenants):
    client.force_login(tenants.hq_finance)
    body = client.get("/audit/exchanges/", {"date_from": "2026-05-02", "date_to": "2026-05-01"}).content.decode()
    assert "开始日期不能晚于结束日期" in body


def test_it_shows_an_empty_state(client, tenants):
    client.force_login(tenants.hq_finance)
    assert "没有符合条件的平台交互记录" in client.get("/audit/exchanges/").content.decode()


def test_it_escapes_platform_messages(client, tenants):
    exchange(tenants.a, message="<script>alert(1)</script>")
    client.force_login(tenants.hq_finance)
    body = client.get("/audit/exchanges/").content.decode()
    assert "<script>alert(1)</script>" not in body and "&lt;script&gt;" in body


def test_the_audit_trail_is_for_hq_and_scoped_to_the_company(client, tenants):
    store_update(store=tenants.a1, actor=Actor.for_user(tenants.hq_admin), rollout_percent=40)
    store_update(store=tenants.b1, actor=Actor.for_user(tenants.hq_admin_b), rollout_percent=40)
    client.force_login(tenants.hq_finance)
    events = list(client.get("/audit/events/").context["page"])
    assert {e.company_id for e in events} == {tenants.a.pk}
    client.force_login(tenants.manager_a1)
    assert client.get("/audit/events/").status_code == 404
