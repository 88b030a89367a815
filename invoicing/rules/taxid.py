"""Taxpayer identification numbers (RULES.md, "Taxpayer ids"; GB 32100-2015, GB 11714)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

USCC_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # 31 symbols: no I, O, S, V, Z
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
_ORG_CHARSET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_FORMAT = re.compile(r"^[0-9A-Z]{15,20}$")


@dataclass
class TaxIdCheck:
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def uscc_check_char(first17: str) -> str:
    total = sum(USCC_CHARSET.index(c) * w for c, w in zip(first17, _USCC_WEIGHTS, strict=True))
    return USCC_CHARSET[(31 - total % 31) % 31]


def org_code_check_char(first8: str) -> str:
    total = sum(_ORG_CHARSET.index(c) * w for c, w in zip(first8, _ORG_WEIGHTS, strict=True))
    value = 11 - total % 11
    return {10: "X", 11: "0"}.get(value, str(value))


def check_uscc(code: str) -> TaxIdCheck:
    """An 18-character unified social credit code: charset and check character are errors."""
    result = TaxIdCheck()
    if len(code) != 18:
        result.errors.append(f"统一社会信用代码应为18位，当前为{len(code)}位")
        return result
    bad = sorted({c for c in code if c not in USCC_CHARSET})
    if bad:
        result.errors.append(f"统一社会信用代码含非法字符：{''.join(bad)}（不得含 I、O、S、V、Z 或小写字母）")
        return result
    expected = uscc_check_char(code[:17])
    if code[17] != expected:
        result.errors.append(f"统一社会信用代码校验位错误：第18位应为 {expected}，实为 {code[17]}")
        return result
    org = code[8:17]
    if all(c in _ORG_CHARSET for c in org[:8]) and org_code_check_char(org[:8]) != org[8]:
        result.warnings.append("统一社会信用代码中的组织机构代码（第9–17位）校验位不符，请核对")
    return result


def check_taxpayer_id(code: str) -> TaxIdCheck:
    """A buyer or seller tax id: 15–20 digits and capitals; 18 characters get the USCC check."""
    result = TaxIdCheck()
    if not _FORMAT.match(code or ""):
        result.errors.append("纳税人识别号应为15至20位数字或大写字母")
        return result
    if len(code) == 18:
        return check_uscc(code)
    if len(code) == 15:
        org = code[6:15]
        if org_code_check_char(org[:8]) != org[8] if all(c in _ORG_CHARSET for c in org) else True:
            result.warnings.append("15位税号中的组织机构代码校验位不符，请核对")
    return result


def make_uscc(first17: str) -> str:
    """Complete 17 characters with their check character (for demo data and tests)."""
    return first17 + uscc_check_char(first17)


def region_code(tax_id: str) -> str:
    """The administrative division (行政区划代码) a unified social credit code carries in characters
    3–8 (GB 32100-2015), an old 15-digit tax id in its first six: QDFPSC's 区域代码 ``qyDm``.
    Empty for an id of another shape."""
    division = tax_id[:6] if len(tax_id) == 15 else tax_id[2:8]
    return division if len(division) == 6 and division.isdigit() else ""


TAX_OFFICE_CODE = re.compile(r"^1\d{10}$")


def province_tax_office_code(tax_id: str) -> str:
    """The seller's province tax office (省级税务机关代码, 11 digits: "1" + province + "00000000").

    (ours) The province is read from the administrative-division code inside the tax id: characters
    3–4 of an 18-character USCC, characters 1–2 of an older 15–20 character id. A company whose
    office this does not give (计划单列市 such as 深圳, 大连) sets its code on the company.
    """
    province = tax_id[2:4] if len(tax_id) == 18 else tax_id[0:2]
    if not province.isdigit():
        return ""
    return f"1{province}00000000"
