"""The province tax office code (省级税务机关代码) sent with 汇总确认: derived from the tax id unless set."""

from __future__ import annotations

import pytest

from audit.models import AuditEvent
from invoicing.rules.taxid import make_uscc, province_tax_office_code


@pytest.mark.parametrize(("tax_id", "code"), [
    (make_uscc("91310115MA1K00001"), "13100000000"),  # 上海
    (make_uscc("91110108MA0000001"), "11100000000"),  # 北京
    ("440301123456789", "14400000000"),  # an older 15-digit id: region code first
    (make_uscc("9AB10115MA1K00001")[:18], ""),  # no province digits: nothing derived
])
def test_the_province_comes_from_the_region_code_inside_the_tax_id(tax_id, code):
    assert province_tax_office_code(tax_id) == code


@pytest.mark.django_db
def test_the_settings_page_shows_the_derived_code_and_saves_an_own_one(tenants, client):
    client.force_login(tenants.hq_admin)
    page = client.get("/settings/").content.decode()
    assert "13100000000" in page and "按纳税人识别号推算" in page
    response = client.post("/settings/tax-office/", {"tax_office_code": "14403000000"}, follow=True)
    assert "省级税务机关代码已保存。" in response.content.decode()
    tenants.a.refresh_from_db()
    assert tenants.a.effective_tax_office_code == "14403000000"
    event = AuditEvent.objects.get(action="company.tax_office_code")
    assert (event.before, event.after) == ({"tax_office_code": ""}, {"tax_office_code": "14403000000"})


@pytest.mark.django_db
def test_a_bad_code_is_refused_in_chinese_and_changes_nothing(tenants, client):
    client.force_login(tenants.hq_admin)
    response = client.post("/settings/tax-office/", {"tax_office_code": "3100"}, follow=True)
    assert "省级税务机关代码应为以1开头的11位数字" in response.content.decode()
    tenants.a.refresh_from_db()
    assert tenants.a.tax_office_code == "" and not AuditEvent.objects.filter(action="company.tax_office_code").exists()
    client.force_login(tenants.hq_finance)
    assert client.post("/settings/tax-office/", {"tax_office_code": ""}).status_code == 404
