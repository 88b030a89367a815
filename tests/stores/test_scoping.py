import pytest

from stores.models import Company, Membership, Store

pytestmark = pytest.mark.django_db


def codes(qs):
    return sorted(s.code for s in qs)


def test_it_shows_hq_roles_every_store_of_their_company_only(tenants):
    assert codes(Store.objects.for_user(tenants.hq_admin)) == ["A1", "A2"]
    assert codes(Store.objects.for_user(tenants.hq_finance)) == ["A1", "A2"]
    assert codes(Store.objects.for_user(tenants.hq_admin_b)) == ["B1"]


def test_it_shows_store_roles_only_their_store(tenants):
    assert codes(Store.objects.for_user(tenants.manager_a1)) == ["A1"]
    assert codes(Store.objects.for_user(tenants.clerk_a1)) == ["A1"]
    assert codes(Store.objects.for_user(tenants.clerk_a2)) == ["A2"]
    assert codes(Store.objects.for_user(tenants.clerk_b1)) == ["B1"]


def test_it_shows_nothing_to_a_user_without_membership(tenants):
    from tests.factories import UserFactory

    assert list(Store.objects.for_user(UserFactory())) == []
    assert list(Company.objects.for_user(UserFactory())) == []


def test_it_scopes_companies(tenants):
    assert [c.name for c in Company.objects.for_user(tenants.clerk_a2)] == ["甲公司"]
    assert [c.name for c in Company.objects.for_user(tenants.hq_admin_b)] == ["乙公司"]


def test_it_lets_hq_admin_see_company_memberships_and_others_only_their_own(tenants):
    admin_sees = {m.user.username for m in Membership.objects.for_user(tenants.hq_admin)}
    assert admin_sees == {"a_admin", "a_finance", "a1_manager", "a1_clerk", "a2_clerk"}
    assert {m.user.username for m in Membership.objects.for_user(tenants.clerk_a1)} == {"a1_clerk"}


@pytest.mark.parametrize("user_attr", ["hq_admin", "hq_finance", "manager_a1", "clerk_a1"])
def test_it_answers_404_for_another_companys_store(client, tenants, user_attr):
    client.force_login(getattr(tenants, user_attr))
    assert client.get(f"/stores/{tenants.b1.pk}/").status_code == 404


def test_it_answers_404_for_a_sibling_store_to_store_staff(client, tenants):
    client.force_login(tenants.clerk_a1)
    assert client.get(f"/stores/{tenants.a2.pk}/").status_code == 404
    assert client.get(f"/stores/{tenants.a1.pk}/").status_code == 200


def test_it_never_lists_other_stores(client, tenants):
    client.force_login(tenants.clerk_a1)
    body = client.get("/stores/").content.decode()
    assert "甲一店" in body and "甲二店" not in body and "乙一店" not in body


def test_it_redirects_anonymous_users_to_login(client, tenants):
    response = client.get(f"/stores/{tenants.a1.pk}/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_hq_only_rows_are_hidden_from_store_roles_of_the_same_company(tenants):
    """Regression: batch reversals were scoped by any membership, so a clerk's queryset held HQ's."""
    from invoicing.models import BatchReversal

    batch = BatchReversal.objects.create(company=tenants.a, reason="01", created_by=tenants.hq_finance)
    assert list(BatchReversal.objects.for_user(tenants.hq_finance)) == [batch]
    assert list(BatchReversal.objects.for_user(tenants.clerk_a1)) == []
    assert list(BatchReversal.objects.for_user(tenants.hq_admin_b)) == []


def test_the_catalogue_is_shared_by_the_companys_stores_only(tenants):
    from invoicing.models import Product

    product = Product.objects.create(company=tenants.a, name="马苏里拉奶酪", tax_code="1030204020000000000",
                                     rate="0.13", price="56.50")
    assert list(Product.objects.for_user(tenants.clerk_a2)) == [product]
    assert list(Product.objects.for_user(tenants.clerk_b1)) == []
