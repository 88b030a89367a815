"""The thesaurus (词林) places words the official table never uses; the company's families."""

from invoicing.taxcodes import table, thesaurus
from invoicing.taxcodes.history import HistoryIndex
from invoicing.taxcodes.matcher import _index


def test_a_word_votes_for_the_codes_linked_to_its_synonym_group():
    # 白兰地 and 啤酒 share a group in the thesaurus; nothing links 白兰地 to any code directly.
    assert set(thesaurus.groups_of("白兰地")) & set(thesaurus.groups_of("啤酒"))
    links = thesaurus.GroupLinks({"啤酒": {"X": 1.0}, "沙发": {"Y": 1.0}})
    near, far = links.votes("白兰地")
    assert near == {"X": (1.0, "啤酒")} and "Y" not in far
    assert links.votes("不是词林里的词") == ({}, {})


def test_the_table_index_links_drinks_to_drink_codes():
    near, far = _index().links.votes("白兰地")
    shorts = [table.short_name_of(code) for code in near]
    # mostly drinks; a few words of the group are other goods too (药酒 is a medicine, 竹叶青 a tea)
    assert shorts.count("酒") >= 3 and shorts.count("酒") > len(shorts) / 2, shorts
    assert "家具" not in shorts


def test_a_history_knows_which_families_the_company_invoices():
    history = HistoryIndex([("布艺沙发", "1050201060000000000"), ("铅笔", "1060402010300000000")])
    assert history.families() == {
        table.short_name_of("1050201060000000000"),
        table.short_name_of("1060402010300000000"),
    }


def test_a_thesaurus_match_says_which_table_word_it_sits_with():
    from invoicing.taxcodes.matcher import suggest_from_table

    reasons = {s.name: s.reason for s in suggest_from_table("白兰地 VSOP 700ml", k=5)}
    kin = [r for r in reasons.values() if "同义词词林" in r]
    assert kin, reasons
    assert all(r.startswith("名称中的“白兰地”与“") for r in kin), kin
