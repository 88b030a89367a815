"""Issue 14 item 16 on rendered pages: the header names the person, then role and store; 申请人 is a
person's name; the favicon is linked and served."""

from __future__ import annotations

from decimal import Decimal

from django.contrib.staticfiles import finders
from django.test import Client

from invoicing.models import RedLetterForm
from stores.demo import seed_demo
from stores.people import person_name
from tests.web.conftest import make_invoice


def _named(user, family: str, given: str):
    user.last_name, user.first_name = family, given
    user.save(update_fields=["last_name", "first_name"])
    return user


def test_it_greets_the_person_then_role_and_store(client_for, tenants):
    _named(tenants.clerk_a1, "陈", "静")
    html = client_for(tenants.clerk_a1).get("/invoices/").content.decode()
    assert '<span class="greeting" id="greeting"><strong>陈静</strong> · 门店开票员 · 甲一店</span>' in html


def test_it_greets_hq_with_the_company(client_for, tenants):
    _named(tenants.hq_finance, "王", "丽")
    html = client_for(tenants.hq_finance).get("/invoices/").content.decode()
    assert '<strong>王丽</strong> · 总部财务 · 甲公司</span>' in html


def test_a_person_without_a_name_is_greeted_by_username(client_for, tenants):
    tenants.clerk_a2.first_name = tenants.clerk_a2.last_name = ""
    tenants.clerk_a2.save()
    html = client_for(tenants.clerk_a2).get("/invoices/").content.decode()
    assert "<strong>a2_clerk</strong> · 门店开票员 · 甲二店" in html


def test_person_name_orders_chinese_and_latin_names():
    class U:
        def __init__(self, first, last, username="u"):
            self.first_name, self.last_name, self.username = first, last, username

        def get_username(self):
            return self.username

    assert person_name(U("静", "陈")) == "陈静"
    assert person_name(U("Ann", "Lee")) == "Ann Lee"
    assert person_name(U("", "", "clerk_x")) == "clerk_x"


def test_the_demo_people_have_peoples_names(db):
    from django.contrib.auth import get_user_model

    User = get_user_model()
    # An install seeded before: role-and-place placeholders are renamed on the next start.
    User.objects.create_user(username="hq_admin", password="x", first_name="管理员", last_name="总部")
    seed_demo()
    assert person_name(User.objects.get(username="hq_admin")) == "周敏"
    assert person_name(User.objects.get(username="clerk_sh001")) == "陈静"


def test_the_requester_of_a_red_letter_form_is_shown_by_name(client_for, tenants):
    _named(tenants.clerk_a1, "陈", "静")
    blue = make_invoice(tenants.a1)
    form = RedLetterForm.objects.create(company=tenants.a, store=tenants.a1, blue_invoice=blue, reason="01",
                                        amount=Decimal("-100.00"), tax=Decimal("-13.00"), is_full=True,
                                        requested_by=tenants.clerk_a1, requested_by_label="a1_clerk")
    html = client_for(tenants.manager_a1).get(f"/red-letter/forms/{form.pk}/").content.decode()
    assert '<dd id="requested-by">陈静</dd>' in html


def test_every_page_links_a_favicon_that_exists(client_for, tenants):
    html = client_for(tenants.clerk_a1).get("/invoices/").content.decode()
    assert '<link rel="icon" href="/static/kaipiao/favicon.svg" type="image/svg+xml">' in html
    assert finders.find("kaipiao/favicon.svg") and finders.find("kaipiao/favicon.ico")
    login_page = Client().get("/accounts/login/").content.decode()
    assert 'rel="icon"' in login_page
    response = Client().get("/favicon.ico")
    assert response.status_code == 301 and response["Location"] == "/static/kaipiao/favicon.ico"
