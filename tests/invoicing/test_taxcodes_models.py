import datetime as dt

import pytest

from audit.models import AuditEvent
from invoicing.models import TaxCode, TaxCodeMatchMemory
from invoicing.rules.invoice import validate_invoice
from invoicing.rules.taxid import make_uscc
from invoicing.taxcodes.loader import load_tax_codes
from invoicing.taxcodes.matcher import remember, suggest
from invoicing.taxcodes.selectors import tax_code_lookup_for
from invoicing.taxcodes.services import tax_codes_apply_platform_update
from stores.models import Company
from tests.invoicing.factories import CHEESE, D, a_draft, a_line

pytestmark = pytest.mark.django_db


def test_it_has_the_table_after_migrate():
    assert TaxCode.objects.count() == 4205
    assert TaxCode.objects.filter(is_summary=False).count() == 3535
    cheese = TaxCode.objects.get(code=CHEESE)
    assert cheese.rates == ["0.13", "0.03", "0.01", "0"]
    assert cheese.short_name == "乳制品"


def test_loading_again_changes_nothing():
    TaxCode.objects.filter(code=CHEESE).update(rates=["0.13"])
    assert load_tax_codes() == 4205
    assert TaxCode.objects.count() == 4205
    assert TaxCode.objects.get(code=CHEESE).rates == ["0.13"]  # platform data is kept
    load_tax_codes(overwrite=True)
    assert TaxCode.objects.get(code=CHEESE).rates == ["0.13", "0.03", "0.01", "0"]


def platform_item(**overrides):
    item = {
        "sphfwssflhbbm": "1030204030000000000",
        "spmc": "奶酪制品",
        "spjc": "乳制品",
        "sm": "新增编码",
        "slList": ["0.13", "0.030"],
        "yhzcbsList": [],
        "hzx": "N",
        "yxqq": "2025-01-01 00:00:00",
        "yxqz": "",
    }
    item.update(overrides)
    return item


def test_it_applies_platform_updates():
    result = tax_codes_apply_platform_update(
        items=[
            platform_item(),
            platform_item(sphfwssflhbbm=CHEESE, spmc="固体及半固体乳制品", slList=["0.13"], yxqz="2030-12-31"),
            platform_item(sphfwssflhbbm="123", spmc="坏编码"),
            platform_item(sphfwssflhbbm="1030204040000000000", spmc=""),
        ]
    )
    assert result.created == ["1030204030000000000"]
    assert result.updated == [CHEESE]
    assert [code for code, _ in result.skipped] == ["123", "1030204040000000000"]
    new = TaxCode.objects.get(code="1030204030000000000")
    assert (new.name, new.rates, new.is_summary, new.valid_from) == (
        "奶酪制品",
        ["0.13", "0.03"],
        False,
        dt.date(2025, 1, 1),
    )
    cheese = TaxCode.objects.get(code=CHEESE)
    assert (cheese.rates, cheese.valid_to) == (["0.13"], dt.date(2030, 12, 31))
    event = AuditEvent.objects.get(action="tax_codes.platform_update")
    assert event.after["created"] == ["1030204030000000000"]


def test_applying_the_same_update_twice_is_a_no_op():
    tax_codes_apply_platform_update(items=[platform_item()])
    result = tax_codes_apply_platform_update(items=[platform_item()])
    assert (result.created, result.updated, result.unchanged) == ([], [], 1)
    assert AuditEvent.objects.filter(action="tax_codes.platform_update").count() == 1


def test_platform_summary_flag_and_rates_reach_the_rules():
    tax_codes_apply_platform_update(items=[platform_item(sphfwssflhbbm=CHEESE, spmc="固体及半固体乳制品", hzx="Y")])
    draft = a_draft([a_line()])
    lookup = tax_code_lookup_for(codes=[line.tax_code for line in draft.lines])
    assert validate_invoice(draft, lookup=lookup).codes == ["tax_code_summary"]
    tax_codes_apply_platform_update(
        items=[platform_item(sphfwssflhbbm=CHEESE, spmc="固体及半固体乳制品", slList=["0.09"])]
    )
    lookup = tax_code_lookup_for(codes=[CHEESE])
    assert validate_invoice(draft, lookup=lookup).codes == ["rate_not_allowed"]
    draft = a_draft([a_line(rate=D("0.09"), tax=D("9.00"))])
    assert validate_invoice(draft, lookup=lookup).ok


@pytest.fixture
def company():
    return Company.objects.create(name="示例连锁", tax_id=make_uscc("91350100MA0000001"))


def test_memory_wins_next_time(company):
    name = "【特价】水牛芝士 200g"
    assert suggest(name, company=company)[0].source == "matcher"  # before: the table's guess
    remember(company, name, CHEESE)
    first = suggest("水牛芝士 500g*2", company=company)[0]
    assert (first.code, first.source, first.confidence) == (CHEESE, "memory", 1.0)
    assert first.reason == "本公司曾将“【特价】水牛芝士 200g”开为“固体及半固体乳制品”（1次）"
    other = Company.objects.create(name="别家", tax_id=make_uscc("91350100MA0000002"))
    assert suggest(name, company=other)[0].source == "matcher"


def test_a_correction_replaces_the_memory(company):
    remember(company, "水牛芝士", CHEESE)
    remember(company, "水牛芝士", CHEESE)
    assert TaxCodeMatchMemory.objects.get().hits == 2
    remember(company, "水牛芝士", "1030204010000000000")
    memory = TaxCodeMatchMemory.objects.get()
    assert (memory.code_id, memory.hits) == ("1030204010000000000", 1)
    assert suggest("水牛芝士", company=company)[0].code == "1030204010000000000"
