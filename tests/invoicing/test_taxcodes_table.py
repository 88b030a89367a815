import csv
from decimal import Decimal

from invoicing.taxcodes import table


def test_it_loads_all_4205_codes():
    assert len(table.all_codes()) == 4205


def test_it_finds_summary_codes_from_the_hierarchy():
    codes = table.all_codes()
    summary = [c for c in codes if c.is_summary]
    # The issue mentions 3,447 usable codes; this table's hierarchy gives 3,535 (see table.py).
    assert (len(summary), len(codes) - len(summary)) == (670, 3535)
    assert table.get_code("1030204000000000000").is_summary
    assert not table.is_usable("1030204000000000000")
    assert table.is_usable("1030204020000000000")
    assert not table.is_usable("1234567890123456789")


def test_every_code_is_19_digits_and_has_its_parent():
    for info in table.all_codes():
        assert len(info.code) == 19 and info.code.isdigit()
        parent = table.parent_code(info.code)
        assert parent is None or table.get_code(parent) is not None


def test_every_usable_code_has_allowed_rates():
    assert all(table.allowed_rates(c.code) for c in table.all_codes() if not c.is_summary)


def test_rates_follow_the_families():
    def rates(code):
        return table.allowed_rates(code)

    assert Decimal("0.09") in rates("1010115020000000000")  # fruit: agricultural 9 %
    assert Decimal("0.13") not in rates("1010115020000000000")
    assert Decimal("0.13") in rates("1030204020000000000")  # cheese: goods 13 %
    assert Decimal("0.13") in rates("1060301010000000000")  # software product 13 %
    assert Decimal("0.06") in rates("3040201000000000000")  # software service 6 %
    assert Decimal("0.13") not in rates("3040201000000000000")
    assert Decimal("0.09") in rates("3010101000000000000")  # transport 9 %
    assert Decimal("0.09") in rates("3050100000000000000")  # construction 9 %
    assert Decimal("0.06") in rates("3060101000000000000")  # financial 6 %
    assert Decimal("0.06") in rates("3070401000000000000")  # catering 6 %
    assert {Decimal("0.09"), Decimal("0.05")} <= set(rates("5010100000000000000"))  # real estate
    assert Decimal("0.015") in rates("3040502020000000000")  # leasing immovables, 1.5 % for persons
    assert Decimal("0.13") in rates("3040502010000000000")  # leasing movables 13 %
    assert {Decimal("0.03"), Decimal("0.01")} <= set(rates("1030204020000000000"))  # small-scale
    assert rates("6010000000000000000") == [Decimal(0)]
    assert table.allowed_preferential("6010000000000000000") == ["04"]
    assert table.allowed_preferential("1010112010000000000") == ["03"]  # vegetables: 免税
    assert table.allowed_preferential("1030204020000000000") == []


def test_the_family_file_keeps_its_columns_and_cites_sources():
    with table.RATE_FAMILIES_CSV.open(encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        assert reader.fieldnames == ["code_prefix", "rates", "preferential", "label", "source"]
        rows = list(reader)
    assert {"1", "2", "3", "4", "5", "6"} <= {row["code_prefix"] for row in rows}
    for row in rows:
        assert row["source"].strip()
        assert all(Decimal(rate) >= 0 for rate in row["rates"].split("|"))


def test_it_builds_the_display_name():
    assert table.display_name("1010115020000000000", "红富士苹果") == "*干制水果*红富士苹果"
    assert table.display_name("1030204020000000000", "马苏里拉") == "*乳制品*马苏里拉"
    # 无船承运 has no short name: its parent's is used
    assert table.display_name("3010501000000000000", "拼箱") == "*运输服务*拼箱"
