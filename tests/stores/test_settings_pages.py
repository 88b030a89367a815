import pytest

from audit.models import AuditEvent
from stores.models import Company, Membership, Store

pytestmark = pytest.mark.django_db


def test_only_hq_admins_reach_the_settings(client, tenants):
    for user in (tenants.hq_finance, tenants.manager_a1, tenants.clerk_a1):
        client.force_login(user)
        assert client.get("/settings/").status_code == 404
    client.force_login(tenants.hq_admin)
    body = client.get("/settings/").content.decode()
    assert "甲一店" in body and "乙一店" not in body


def test_it_changes_the_rollout_with_an_audit_entry(client, tenants):
    client.force_login(tenants.hq_admin)
    form = {"name": "甲一店", "address": "", "is_active": "on", "rollout_percent": "25", "manager_email": "",
            "alert_failure_rate": "5", "alert_backlog": "50"}
    response = client.post(f"/settings/stores/{tenants.a1.pk}/", form)
    assert response.status_code == 302
    assert Store.objects.get(pk=tenants.a1.pk).rollout_percent == 25
    event = AuditEvent.objects.get(action="store.rollout_changed")
    assert (event.before["rollout_percent"], event.after["rollout_percent"]) == (100, 25)
    assert event.actor_label == "a_admin"


@pytest.mark.parametrize("value", ["101", "-1", "abc"])
def test_it_refuses_a_rollout_outside_0_to_100_and_changes_nothing(client, tenants, value):
    client.force_login(tenants.hq_admin)
    form = {"name": "甲一店", "is_active": "on", "rollout_percent": value, "alert_failure_rate": "5", "alert_backlog": "50"}
    response = client.post(f"/settings/stores/{tenants.a1.pk}/", form)
    assert response.status_code == 200 and response.context["form"].errors["rollout_percent"]
    assert Store.objects.get(pk=tenants.a1.pk).rollout_percent == 100
    assert not AuditEvent.objects.filter(action__startswith="store.").exists()


def test_another_companys_store_is_404_in_settings(client, tenants):
    client.force_login(tenants.hq_admin)
    assert client.get(f"/settings/stores/{tenants.b1.pk}/").status_code == 404


def test_it_creates_a_store_and_refuses_a_duplicate_code(client, tenants):
    client.force_login(tenants.hq_admin)
    form = {"code": "A9", "name": "甲九店", "is_active": "on", "rollout_percent": "0", "alert_failure_rate": "5",
            "alert_backlog": "50"}
    assert client.post("/settings/stores/new/", form).status_code == 302
    response = client.post("/settings/stores/new/", {**form, "code": "A1"})
    assert "已被本公司其他门店使用，请换一个编码" in response.content.decode()
    assert Store.objects.filter(company=tenants.a).count() == 3


def test_credentials_are_write_only(client, tenants):
    client.force_login(tenants.hq_admin)
    secret = "abcdef0123456789abcdef0123456789"
    response = client.post("/settings/credentials/", {"unit_id": "U" * 20, "user_unit_id": "", "secret": secret,
                                                      "sign_type": "HMAC"})
    assert response.status_code == 302
    page = client.get("/settings/credentials/").content.decode() + client.get("/settings/").content.decode()
    assert secret not in page and "…6789" in page
    assert Company.objects.get(pk=tenants.a.pk).has_platform_secret


def test_credentials_refuse_a_bad_secret_in_chinese(client, tenants):
    client.force_login(tenants.hq_admin)
    response = client.post("/settings/credentials/", {"unit_id": "U" * 20, "secret": "z" * 32, "sign_type": "HMAC"})
    assert "32位十六进制" in response.content.decode()
    assert not Company.objects.get(pk=tenants.a.pk).has_platform_secret


def test_it_grants_a_store_role_to_a_new_user(client, tenants):
    client.force_login(tenants.hq_admin)
    response = client.post("/settings/members/new/", {"username": "newclerk", "password": "Long-enough-pw-2026",
                                                      "role": "store_clerk", "store": tenants.a2.pk})
    assert response.status_code == 302
    m = Membership.objects.get(user__username="newclerk")
    assert (m.store_id, m.role) == (tenants.a2.pk, "store_clerk")
    assert AuditEvent.objects.filter(action="membership.granted", object_id=str(m.pk)).exists()


def test_it_requires_a_store_for_store_roles(client, tenants):
    client.force_login(tenants.hq_admin)
    response = client.post("/settings/members/new/", {"username": "x1", "password": "Long-enough-pw-2026",
                                                      "role": "store_clerk"})
    assert "门店角色必须指定门店" in response.content.decode()
    assert not Membership.objects.filter(user__username="x1").exists()


def test_it_cannot_grant_a_store_of_another_company(client, tenants):
    client.force_login(tenants.hq_admin)
    response = client.post("/settings/members/new/", {"username": "x2", "password": "Long-enough-pw-2026",
                                                      "role": "store_clerk", "store": tenants.b1.pk})
    assert response.status_code == 200 and response.context["form"].errors["store"]


def test_it_revokes_a_role_but_not_the_admins_own(client, tenants):
    client.force_login(tenants.hq_admin)
    clerk = Membership.objects.get(user=tenants.clerk_a2)
    assert client.post(f"/settings/members/{clerk.pk}/revoke/").status_code == 302
    assert not Membership.objects.filter(pk=clerk.pk).exists()
    own = Membership.objects.get(user=tenants.hq_admin)
    client.post(f"/settings/members/{own.pk}/revoke/")
    assert Membership.objects.filter(pk=own.pk).exists()
    other = Membership.objects.get(user=tenants.clerk_b1)
    assert client.post(f"/settings/members/{other.pk}/revoke/").status_code == 404


def test_no_migration_is_missing():
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("makemigrations", "--check", "--dry-run", "stores", "audit", stdout=out)
    assert "No changes detected" in out.getvalue()


def test_it_sets_a_stores_delivery_defaults_with_an_audit_entry(client, tenants):
    from invoicing.models import StoreDeliveryDefaults

    client.force_login(tenants.hq_admin)
    response = client.post(f"/settings/stores/{tenants.a1.pk}/delivery/",
                           {"channels": ["email"], "fallback_email": "fapiao@example.com", "fallback_mobile": ""})
    assert response.status_code == 302
    defaults = StoreDeliveryDefaults.objects.get(store=tenants.a1)
    assert (defaults.channels, defaults.fallback_email) == (["email"], "fapiao@example.com")
    assert AuditEvent.objects.filter(action="store.delivery_defaults_set").exists()


def test_it_refuses_a_bad_fallback_mobile_in_chinese(client, tenants):
    from invoicing.models import StoreDeliveryDefaults

    client.force_login(tenants.hq_admin)
    response = client.post(f"/settings/stores/{tenants.a1.pk}/delivery/", {"channels": ["sms"], "fallback_mobile": "12345"})
    assert "手机号应为11位数字" in response.content.decode()
    assert not StoreDeliveryDefaults.objects.exists()
    assert client.get(f"/settings/stores/{tenants.b1.pk}/delivery/").status_code == 404


def test_it_switches_the_red_letter_approval_off_for_the_company(client, tenants):
    from invoicing.redletter.policy import red_letter_policy_requires_approval

    client.force_login(tenants.hq_admin)
    assert red_letter_policy_requires_approval(store=tenants.a1)
    assert client.post("/settings/red-letter-policy/", {}).status_code == 302
    assert not red_letter_policy_requires_approval(store=tenants.a1)
    assert not red_letter_policy_requires_approval(store=tenants.a2)
    assert red_letter_policy_requires_approval(store=tenants.b1)
    client.post("/settings/red-letter-policy/", {"clerk_requests_need_approval": "on"})
    assert red_letter_policy_requires_approval(store=tenants.a1)
    client.force_login(tenants.manager_a1)
    assert client.post("/settings/red-letter-policy/", {}).status_code == 404


def test_hq_admin_sets_the_auto_code_threshold_with_an_audit_entry(client, tenants):
    from decimal import Decimal

    client.force_login(tenants.hq_admin)
    page = client.get("/settings/").content.decode()
    assert "自动赋码置信度阈值" in page and 'value="0.80"' in page
    assert client.post("/settings/auto-code/", {"auto_code_threshold": "0.95"}).status_code == 302
    tenants.a.refresh_from_db()
    tenants.b.refresh_from_db()
    assert (tenants.a.auto_code_threshold, tenants.b.auto_code_threshold) == (Decimal("0.95"), Decimal("0.80"))
    event = AuditEvent.objects.get(action="company.auto_code_threshold")
    assert (event.before["auto_code_threshold"], event.after["auto_code_threshold"]) == ("0.80", "0.95")
    for bad, message in (("0.2", "不能低于 0.50"), ("1.5", "最高为 1.00"), ("abc", "0.50 到 1.00 之间")):
        body = client.post("/settings/auto-code/", {"auto_code_threshold": bad}, follow=True).content.decode()
        assert message in body, bad
    tenants.a.refresh_from_db()
    assert tenants.a.auto_code_threshold == Decimal("0.95")
    client.force_login(tenants.manager_a1)
    assert client.post("/settings/auto-code/", {"auto_code_threshold": "0.5"}).status_code == 404


def test_the_auto_code_threshold_has_one_rule_and_one_audited_way_in(tenants, admin_client):
    from decimal import Decimal

    from django.core.exceptions import ValidationError

    from audit.services import Actor
    from stores.services import company_set_auto_code_threshold

    with pytest.raises(ValidationError, match="0.50 到 1.00"):
        company_set_auto_code_threshold(company=tenants.a, actor=Actor.system(), threshold=Decimal("0.2"))
    tenants.a.refresh_from_db()
    assert tenants.a.auto_code_threshold == Decimal("0.80")
    # The admin shows it read-only: changes go through the settings page, audited.
    page = admin_client.get(f"/admin/stores/company/{tenants.a.pk}/change/").content.decode()
    assert "自动赋码置信度阈值" in page and 'name="auto_code_threshold"' not in page
