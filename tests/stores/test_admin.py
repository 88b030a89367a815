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
