"""The retail lexicon (invoicing/data/retail_terms.csv): shop words → the usable code they are invoiced under.

Read straight from the CSV files; no database is needed.
"""

import csv
import re

from invoicing.taxcodes import table

RETAIL_TERMS_CSV = table.DATA_DIR / "retail_terms.csv"
TERM = re.compile(r"^[\u4e00-\u9fffA-Za-z]{1,12}$")


def _rows():
    with RETAIL_TERMS_CSV.open(encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        assert reader.fieldnames == ["term", "code", "note"]
        return list(reader)


def test_it_has_at_least_2000_terms():
    assert len(_rows()) >= 2000


def test_every_code_is_in_the_table_and_usable():
    for row in _rows():
        info = table.get_code(row["code"])
        assert info is not None, row
        assert not info.is_summary, row


def test_no_term_is_listed_twice():
    terms = [row["term"] for row in _rows()]
    duplicates = sorted({term for term in terms if terms.count(term) > 1})
    assert duplicates == []


def test_every_term_is_a_plain_word():
    # 1–12 CJK or Latin letters: no spaces, digits, punctuation, sizes
    bad = [row["term"] for row in _rows() if not TERM.match(row["term"])]
    assert bad == []


def test_the_words_the_table_never_says_land_on_the_right_codes():
    codes = {row["term"]: row["code"] for row in _rows()}

    def name(term):
        return table.get_code(codes[term]).name

    assert name("牛油果") == "鳄梨"
    assert name("车厘子") == "樱桃"
    assert name("白兰地") == "其他酒"
    assert name("洋桔梗") == "鲜切花及花蕾"
    assert name("马克杯") == "日用陶瓷餐具"
    assert name("八角") == "香料原料"
    assert name("羽绒服") == "防寒服"
    assert name("猫砂") == "宠物专用品"
