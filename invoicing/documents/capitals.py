"""Amounts in Chinese financial capitals (大写), as printed on the invoice's 价税合计 line."""

from __future__ import annotations

from decimal import Decimal

from invoicing.rules.amounts import money

DIGITS = "零壹贰叁肆伍陆柒捌玖"
_PLACES = ((3, "仟"), (2, "佰"), (1, "拾"), (0, ""))


def _group(n: int) -> str:
    """1..9999 in capitals; inner runs of zeros become one 零, trailing zeros vanish."""
    out, pending_zero = "", False
    for power, unit in _PLACES:
        digit = n // 10**power % 10
        if digit == 0:
            pending_zero = bool(out)
            continue
        if pending_zero:
            out += "零"
            pending_zero = False
        out += DIGITS[digit] + unit
    return out


def _integer(n: int) -> str:
    # 亿 and 万 split recursively, so 1,0001,0000,0000 reads 壹万零壹亿 (not 壹万亿零壹亿).
    for size, unit in ((10**8, "亿"), (10**4, "万")):
        if n >= size:
            high, low = divmod(n, size)
            text = _integer(high) + unit
            if low:
                # A lower part that does not fill its highest place is read with a 零 before it.
                text += ("零" if low < size // 10 else "") + _integer(low)
            return text
    return _group(n)


def amount_to_chinese_capitals(amount: Decimal, *, negative_prefix: str = "负") -> str:
    """1234.50 → 壹仟贰佰叁拾肆圆伍角; 0.05 → 伍分; 100 → 壹佰圆整; −113 → 负壹佰壹拾叁圆整.

    Rounded half up to the cent first. ``negative_prefix`` lets the PDF print red invoices as
    ``（负数）壹佰…`` the way the 数电票 layout does.
    """
    value = money(amount)
    sign = negative_prefix if value < 0 else ""
    cents = int(abs(value) * 100)
    integer, jiao, fen = cents // 100, cents // 10 % 10, cents % 10
    text = _integer(integer) + "圆" if integer else ""
    if jiao == 0 and fen == 0:
        return sign + (text or "零圆") + "整"
    if jiao:
        text += DIGITS[jiao] + "角"
    elif integer:
        text += "零"
    if fen:
        text += DIGITS[fen] + "分"
    return sign + text
