"""Django admin for every model: it opens, and it never shows a secret."""

import pytest
from django.apps import apps
from django.contrib import admin
from django.urls import reverse

from audit.services import Actor
from invoicing.integrations.apikeys import api_key_create, api_key_secret
from stores.services import company_set_platform_credentials

pytestmark = pytest.mark.django_db
APPS = ("stores", "invoicing", "audit", "sandbox")


def test_every_model_has_an_admin():
    missing = [m._meta.label for m in apps.get_models() if m._meta.app_label in APPS and m not in admin.site._registry]
    assert missing == []


def test_every_changelist_opens_for_a_superuser(client, tenants):
    tenants.hq_admin.is_staff = tenants.hq_admin.is_superuser = True
    tenants.hq_admin.save()
    client.force_login(tenants.hq_admin)
    for model in admin.site._registry:
        if model._meta.app_label in APPS:
            url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
            assert client.get(url).status_code == 200, url


def test_business_rows_are_read_only_in_the_admin(client, tenants):
    from invoicing.models import ApiKey, Invoice

    for model in (Invoice, ApiKey):
        model_admin = admin.site._registry[model]
        assert not model_admin.has_add_permission(None) and not model_admin.has_delete_permission(None)


def test_no_admin_page_shows_an_api_or_platform_secret(client, tenants):
    platform_secret = "0123456789abcdef0123456789abcdef"
    company_set_platform_credentials(company=tenants.a, actor=Actor.system(), unit_id="U" * 20, user_unit_id="",
                                     secret=platform_secret)
    key, _ = api_key_create(store=tenants.a1, actor=Actor.system(), label="pos")
    tenants.hq_admin.is_staff = tenants.hq_admin.is_superuser = True
    tenants.hq_admin.save()
    client.force_login(tenants.hq_admin)
    pages = [reverse("admin:invoicing_apikey_change", args=[key.pk]), reverse("admin:invoicing_apikey_changelist"),
             reverse("admin:stores_company_change", args=[tenants.a.pk])]
    body = "".join(client.get(url).content.decode() for url in pages)
    assert api_key_secret(key) not in body and platform_secret not in body


def test_a_companys_hq_admin_reads_only_its_own_rows_in_the_admin(client, tenants):
    """Regression: the admin was unscoped, so any staff user with view rights saw every company."""
    from django.contrib.auth.models import Permission

    from stores.demo import _grant_admin_view

    _grant_admin_view(tenants.hq_admin)
    tenants.hq_admin.is_staff = True
    tenants.hq_admin.save()
    client.force_login(tenants.hq_admin)
    stores = client.get(reverse("admin:stores_store_changelist"))
    assert stores.status_code == 200
    assert {s.code for s in stores.context["cl"].result_list} == {"A1", "A2"}
    assert client.get(reverse("admin:stores_store_change", args=[tenants.b1.pk])).status_code == 302  # "not found"
    assert client.get(reverse("admin:sandbox_unit_changelist")).status_code == 403
    assert Permission.objects.filter(user=tenants.hq_admin, codename="view_invoice").exists()


@pytest.mark.parametrize("changelist", [
    "stores_store", "stores_membership", "audit_auditevent", "audit_exchange", "invoicing_invoice", "invoicing_order",
])
def test_the_filter_sidebar_lists_only_the_users_company(client, tenants, changelist):
    """Regression (issue 13, row 10): the sidebar's company filter listed every company's name and id."""
    from django.utils import timezone

    from audit.models import Exchange
    from stores.demo import _grant_admin_view
    from stores.models import Membership
    from stores.roles import Role
    from stores.services import store_update
    from tests.factories import CompanyFactory, StoreFactory
    from tests.web.conftest import make_invoice

    # HQ admin of two companies (甲 and 丙), so that the company filter has something to list.
    c = CompanyFactory(name="丙公司")
    c1 = StoreFactory(company=c, code="C1", name="丙一店")
    Membership.objects.create(user=tenants.hq_admin, company=c, role=Role.HQ_ADMIN)
    for store, company in ((tenants.a1, tenants.a), (tenants.b1, tenants.b), (c1, c)):
        make_invoice(store, order_no=f"ADMIN-{store.code}")
        store_update(store=store, actor=Actor.system(), rollout_percent=50)
        Exchange.objects.create(company=company, store=store, created_at=timezone.now(), service="QDFPSC", outcome="ok")
    _grant_admin_view(tenants.hq_admin)
    tenants.hq_admin.is_staff = True
    tenants.hq_admin.save()
    client.force_login(tenants.hq_admin)
    response = client.get(reverse(f"admin:{changelist}_changelist"))
    assert response.status_code == 200
    body = response.content.decode()
    filters = {getattr(spec, "field_path", spec.title): [str(choice["display"]) for choice in
                                                          spec.choices(response.context["cl"])]
               for spec in response.context["cl"].filter_specs}
    company_filter = filters["company"]
    assert {"甲公司", "丙公司"} <= set(company_filter), filters
    assert "乙公司" not in company_filter and "乙公司" not in body
    assert f"company__id__exact={tenants.b.pk}" not in body
    assert f"company__id__exact={tenants.a.pk}" in body and f"company__id__exact={c.pk}" in body
    for choices in filters.values():  # no other filter (store, …) names company 乙's rows either
        assert not any("乙" in choice for choice in choices), filters


def test_the_admin_forms_offer_only_the_users_companies(rf, tenants):
    from stores.models import Store

    model_admin = admin.site._registry[Store]
    request = rf.get("/")
    request.user = tenants.hq_admin
    field = model_admin.formfield_for_foreignkey(Store._meta.get_field("company"), request)
    assert list(field.queryset) == [tenants.a]
    request.user = type("Operator", (), {"is_superuser": True})()
    field = model_admin.formfield_for_foreignkey(Store._meta.get_field("company"), request)
    assert set(field.queryset) == {tenants.a, tenants.b}
