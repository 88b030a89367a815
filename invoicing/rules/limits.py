"""What can be a real order at all: field lengths, characters, digits and dates (issue 13).

The client's side of the platform's limits, pure functions over plain values. The platform's
field lengths themselves (购买方名称 100, 地址电话 and 开户行及账号 100 each as printed together,
项目名称 90, 规格型号 40, 单位 20, 备注 450 on blue invoices) are reference data in
``invoicing.rules.platform_fields``, which the sandbox enforces too; it never imports this module.
docs/api.md states them all.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime, timedelta
from decimal import Decimal

from invoicing.rules.clock import SHANGHAI
from invoicing.rules.platform_fields import (  # noqa: F401 - the intake's names for them
    BUYER_ADDRESS_PHONE_MAX,
    BUYER_BANK_ACCOUNT_MAX,
    BUYER_NAME_MAX,
    ITEM_NAME_MAX,
    SPEC_MAX,
    UNIT_MAX,
)
from invoicing.rules.platform_fields import REMARK_BLUE_MAX as REMARK_MAX  # noqa: F401 - bz on a blue invoice

EMAIL_MAX = 254  # RFC 5321
MOBILE = re.compile(r"^1[3-9][0-9]{9}$")  # a mainland mobile number, 11 ASCII digits

# Numbers: money has 2 decimals and at most 16 digits before the point (numeric(18, 2));
# quantities and unit prices at most 13 decimals (the platform's dj/sl) and 15 digits before
# the point, so that every figure stays exact within Decimal's 28 significant digits.
MONEY_INTEGER_DIGITS = 16
MONEY_PLACES = 2
PRICE_INTEGER_DIGITS = 15
PRICE_PLACES = 13
MAX_MONEY = Decimal("9999999999999999.99")
# ASCII digits only: "１" (full-width), " 1 " and "1e3" are refused, never guessed (docs/api.md).
NUMBER_TEXT = re.compile(r"^-?[0-9]+(\.[0-9]+)?$")
NUMBER_TEXT_MAX = 40  # longer number texts are refused before they are parsed

# Dates: 数电 invoices exist since 2021; an order paid before 2000 is a client bug (e.g. a
# default 0001-01-01), and one paid in the future is a clock bug.
EARLIEST_PAID_AT = datetime(2000, 1, 1, tzinfo=SHANGHAI)
FUTURE_TOLERANCE = timedelta(minutes=5)


def text_problem(value: str) -> str | None:
    """Why ``value`` cannot be printed on an invoice (a Chinese phrase), or None when it can.

    Refused: control characters (NUL, tabs, line breaks and the C1 range), lone surrogates
    (``\\ud800`` from a broken JSON encoder), and characters the platform cannot print. We accept
    what GBK encodes (all of GB 2312 and GBK: Chinese, ASCII, full-width forms, common
    punctuation, Greek, Cyrillic, kana) plus every CJK ideograph of GB 18030-2022 (the rare
    characters of people's and places' names, U+3400–U+4DBF and U+20000–U+3134F). Refused are
    emoji, private-use and unassigned code points, and scripts outside GBK; the platform's
    fonts do not print them.
    """
    for char in value:
        point = ord(char)
        if 0xD800 <= point <= 0xDFFF:
            return "含有无效的 Unicode 代理字符（可能是编码错误）"
        category = unicodedata.category(char)
        if category == "Cc":
            return f"含有控制字符 U+{point:04X}（如 NUL、制表符或换行），请删除"
        if category in ("Co", "Cn", "Cs"):
            return f"含有发票无法打印的字符 U+{point:04X}，请删除"
        if 0x3400 <= point <= 0x4DBF or 0x20000 <= point <= 0x3134F:
            continue
        try:
            char.encode("gbk")
        except UnicodeEncodeError:
            return f"含有发票无法打印的字符“{char}”（U+{point:04X}，如表情符号），请删除或改用汉字、字母和数字"
    return None


def number_problem(number: Decimal, *, integer_digits: int, places: int) -> str | None:
    """Why a finite ``number`` has more digits than allowed (a Chinese phrase), or None."""
    integer = 0 if number == 0 else max(0, number.adjusted() + 1)
    # Trailing zeros after the point ("1.500") carry no digits of their own. (Not normalize():
    # it rounds to the context's 28 digits and would hide a 29th decimal.)
    _sign, digits, exponent = number.as_tuple()
    zeros = 0
    while zeros < len(digits) - 1 and digits[-1 - zeros] == 0 and exponent + zeros < 0:
        zeros += 1
    real_places = max(0, -(exponent + zeros))
    if integer > integer_digits:
        return f"整数部分最多{integer_digits}位"
    if real_places > places:
        return f"最多{places}位小数"
    return None


def moment_problem(moment: datetime, *, now: datetime) -> str | None:
    """Why an aware ``moment`` cannot be when an order was paid (a Chinese phrase), or None."""
    if moment < EARLIEST_PAID_AT:
        return "不能早于2000-01-01（请检查是否发送了默认值）"
    if moment > now + FUTURE_TOLERANCE:
        return "不能晚于当前时间（请校准时钟）"
    return None
