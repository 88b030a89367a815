import pytest

from audit.models import AuditEvent
from invoicing.integrations.apikeys import api_key_secret
from invoicing.models import ApiKey, WebhookEndpoint

pytestmark = pytest.mark.django_db


def test_only_hq_admins_manage_keys(client, tenants):
    for user in (tenants.hq_finance, tenants.manager_a1, tenants.clerk_a1):
        client.force_login(user)
        assert client.get("/settings/integrations/").status_code == 404


def test_it_creates_a_key_and_shows_its_secret_once(client, tenants):
    client.force_login(tenants.hq_admin)
    response = client.post("/settings/integrations/", {"kind": "api_key", "store": tenants.a1.pk, "label": "小程序"})
    key = ApiKey.objects.get(store=tenants.a1)
    secret = api_key_secret(key)
    assert secret in response.content.decode() and response["Cache-Control"] == "no-store"
    assert secret not in client.get("/settings/integrations/").content.decode()
    assert AuditEvent.objects.filter(object_id=str(key.pk), object_type="invoicing.apikey").exists()


def test_it_refuses_a_store_of_another_company(client, tenants):
    client.force_login(tenants.hq_admin)
    response = client.post("/settings/integrations/", {"kind": "api_key", "store": tenants.b1.pk, "label": "x"})
    assert response.context["key_form"].errors["store"]
    assert not ApiKey.objects.exists()


def test_it_revokes_a_key_and_404s_for_another_companys_key(client, tenants):
    client.force_login(tenants.hq_admin)
    client.post("/settings/integrations/", {"kind": "api_key", "store": tenants.a1.pk, "label": "pos"})
    key = ApiKey.objects.get()
    assert client.post(f"/settings/api-keys/{key.pk}/revoke/").status_code == 302
    key.refresh_from_db()
    assert key.revoked_at is not None
    client.force_login(tenants.hq_admin_b)
    assert client.post(f"/settings/api-keys/{key.pk}/revoke/").status_code == 404


def test_it_adds_and_deactivates_a_webhook_and_validates_the_url(client, tenants):
    client.force_login(tenants.hq_admin)
    bad = client.post("/settings/integrations/", {"kind": "webhook", "store": tenants.a1.pk, "url": "ftp://x.example"})
    assert bad.context["hook_form"].errors["url"]
    client.post("/settings/integrations/", {"kind": "webhook", "store": tenants.a1.pk, "url": "https://shop.example.com/hook"})
    hook = WebhookEndpoint.objects.get()
    assert client.post(f"/settings/webhooks/{hook.pk}/deactivate/").status_code == 302
    hook.refresh_from_db()
    assert not hook.active
