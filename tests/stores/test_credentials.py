import pytest
from django.core.exceptions import ValidationError

from audit.models import AuditEvent
from audit.services import Actor
from stores.credentials import CredentialError, company_platform_secret, decrypt_secret
from stores.models import Company
from stores.services import company_set_platform_credentials

pytestmark = pytest.mark.django_db
SECRET = "0123456789abcdef0123456789abcdef"


def test_it_encrypts_the_platform_secret_at_rest(tenants):
    company_set_platform_credentials(company=tenants.a, actor=Actor.system(), unit_id="U" * 20,
                                     user_unit_id="U" * 20, secret=SECRET)
    row = Company.objects.get(pk=tenants.a.pk)
    assert SECRET.encode() not in bytes(row.platform_secret_encrypted)
    assert company_platform_secret(row) == SECRET
    assert row.platform_secret_hint == "…cdef"


def test_it_binds_the_ciphertext_to_its_company(tenants):
    company_set_platform_credentials(company=tenants.a, actor=Actor.system(), unit_id="U" * 20,
                                     user_unit_id="", secret=SECRET)
    blob = Company.objects.get(pk=tenants.a.pk).platform_secret_encrypted
    with pytest.raises(CredentialError):
        decrypt_secret(blob, bound_to=tenants.b.tax_id)


def test_it_audits_the_change_without_the_secret(tenants):
    company_set_platform_credentials(company=tenants.a, actor=Actor.for_user(tenants.hq_admin), unit_id="U" * 20,
                                     user_unit_id="", secret=SECRET)
    event = AuditEvent.objects.get(action="company.credentials_set")
    assert SECRET not in str(event.after) and SECRET not in str(event.before)
    assert event.actor_label == "a_admin"


def test_it_refuses_a_malformed_secret_and_changes_nothing(tenants):
    with pytest.raises(ValidationError) as exc:
        company_set_platform_credentials(company=tenants.a, actor=Actor.system(), unit_id="U" * 20,
                                         user_unit_id="", secret="not-hex")
    assert "32位十六进制" in str(exc.value)
    assert not Company.objects.get(pk=tenants.a.pk).has_platform_secret
    assert not AuditEvent.objects.filter(action="company.credentials_set").exists()


def test_it_never_shows_the_secret_in_the_admin(client, tenants):
    company_set_platform_credentials(company=tenants.a, actor=Actor.system(), unit_id="U" * 20,
                                     user_unit_id="", secret=SECRET)
    tenants.hq_admin.is_staff = tenants.hq_admin.is_superuser = True
    tenants.hq_admin.save()
    client.force_login(tenants.hq_admin)
    body = client.get(f"/admin/stores/company/{tenants.a.pk}/change/").content.decode()
    assert "…cdef" in body and SECRET not in body and "0123456789ab" not in body
