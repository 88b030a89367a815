from invoicing.rules.taxid import check_taxpayer_id, check_uscc, make_uscc, uscc_check_char


def test_it_accepts_a_known_valid_uscc():
    assert check_uscc("91350100M000100Y43").ok
    assert uscc_check_char("91350100M000100Y4") == "3"


def test_it_refuses_a_wrong_check_character():
    result = check_uscc("91350100M000100Y44")
    assert result.errors == ["统一社会信用代码校验位错误：第18位应为 3，实为 4"]


def test_it_refuses_forbidden_characters_and_lengths():
    assert check_uscc("91350100M000100YO3").errors[0].startswith("统一社会信用代码含非法字符：O")
    assert check_uscc("9135").errors == ["统一社会信用代码应为18位，当前为4位"]
    assert check_taxpayer_id("abc").errors == ["纳税人识别号应为15至20位数字或大写字母"]


def test_it_makes_valid_codes():
    assert check_uscc(make_uscc("91110000100000000")).ok


def test_it_accepts_17_and_20_characters_on_format():
    assert check_taxpayer_id("1" * 17).ok
    assert check_taxpayer_id("1" * 20).ok
