"""The platform's checks on uploaded invoices and red-letter forms — the sandbox's own code.

Deliberately independent of ``invoicing.rules``: the sandbox is the other party and must catch
what the client gets wrong rather than agree with the same bug. It shares only the reference data
(``invoicing.taxcodes.reference``: what the code table says; ``invoicing.rules.platform_fields``:
the published field lengths), never a rule. Every message is a Chinese
sentence that ends with the field it is about, e.g. ``第2行：金额与单价×数量不符（fpmxList[1].je）``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from invoicing.rules import platform_fields as fields
from invoicing.taxcodes import reference

SHANGHAI = ZoneInfo("Asia/Shanghai")
DATETIME_FORMAT = "%Y-%m-%d %H:%M:%S"
ZERO = Decimal("0")
LINE_AMOUNT_TOLERANCE = Decimal("0.01")
TOTAL_AMOUNT_TOLERANCE = Decimal("0.01")
LINE_TAX_TOLERANCE = Decimal("0.06")
TOTAL_TAX_TOLERANCE = Decimal("1.27")
UPLOAD_WINDOW = timedelta(hours=48)
# A kprq a little ahead of the platform's clock is accepted, for clock skew between the parties.
FUTURE_TOLERANCE = timedelta(seconds=60)
MAX_LINES = 5000
REMARK_LIMIT = {"0": fields.REMARK_BLUE_MAX, "1": fields.REMARK_RED_MAX}
# (field names, label, limit): a pair is printed as one field, so its lengths add up.
PARTY_LENGTHS = (
    (("gmfmc",), "购买方名称", fields.BUYER_NAME_MAX),
    (("gmfdz", "gmfdh"), "购买方地址和电话", fields.BUYER_ADDRESS_PHONE_MAX),
    (("gmfkhh", "gmfzh"), "购买方开户行和账号", fields.BUYER_BANK_ACCOUNT_MAX),
)
LINE_LENGTHS = (("xmmc", "项目名称", fields.ITEM_NAME_MAX), ("ggxh", "规格型号", fields.SPEC_MAX),
                ("dw", "单位", fields.UNIT_MAX))
PREFERENTIAL_FLAGS = {"", "03", "04"}
DIFFERENCE_KINDS = {"", "01", "02"}
SETTLEMENT_METHODS = {"", "01", "02", "03", "04", "05", "99"}
LINE_KINDS = {"00", "01", "02"}

USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
TAX_ID_RE = re.compile(r"^[0-9A-Z]{15,20}$")
NUMBER_RE = re.compile(r"^\d{20}$")
CODE_RE = re.compile(r"^\d{19}$")


class BadValue(ValueError):
    pass


def to_decimal(value) -> Decimal | None:
    """A JSON value as Decimal; None for absent or empty; BadValue when it is not a number."""
    if value is None or value == "":
        return None
    if isinstance(value, bool) or isinstance(value, float):
        # Floats never carry money; a client sending them is refused.
        raise BadValue(value)
    try:
        result = Decimal(str(value).strip())
    except InvalidOperation:
        raise BadValue(value) from None
    if not result.is_finite():
        raise BadValue(value)
    return result


def to_money(value) -> Decimal | None:
    result = to_decimal(value)
    if result is not None and result.as_tuple().exponent < -2:
        raise BadValue(value)
    return result


def parse_datetime(value) -> datetime | None:
    try:
        return datetime.strptime(str(value or ""), DATETIME_FORMAT).replace(tzinfo=SHANGHAI)
    except ValueError:
        return None


def format_datetime(value: datetime | None) -> str:
    return value.astimezone(SHANGHAI).strftime(DATETIME_FORMAT) if value else ""


def money_text(value: Decimal | None) -> str:
    return "" if value is None else f"{value.quantize(Decimal('0.01'))}"


def uscc_check_character(first17: str) -> str:
    total = sum(USCC_CHARS.index(ch) * weight for ch, weight in zip(first17, USCC_WEIGHTS, strict=True))
    value = 31 - total % 31
    return USCC_CHARS[0 if value == 31 else value]


def check_buyer_tax_id(value: str, *, required: bool) -> str | None:
    """The message for a bad buyer tax id (gmfnsrsbh), or None."""
    if not value:
        return "增值税专用发票须填写购买方纳税人识别号（gmfnsrsbh）" if required else None
    if not TAX_ID_RE.match(value):
        return "购买方纳税人识别号须为15至20位数字或大写字母（gmfnsrsbh）"
    if len(value) == 18:
        if any(ch not in USCC_CHARS for ch in value):
            return "购买方统一社会信用代码含无效字符（gmfnsrsbh）"
        if uscc_check_character(value[:17]) != value[17]:
            return "购买方纳税人识别号校验位错误（gmfnsrsbh）"
    return None


@dataclass
class Line:
    index: int
    mxxh: object
    code: str
    fphxz: str
    yhzcbs: str
    je: Decimal | None
    se: Decimal | None
    slv: Decimal | None
    sl: Decimal | None
    dj: Decimal | None
    xmmc: str = ""
    ggxh: str = ""
    dw: str = ""
    blue_line_no: int | None = None


@dataclass
class CheckedInvoice:
    """An uploaded invoice after the checks: its messages and the values the platform keeps."""

    errors: list[str] = field(default_factory=list)
    fphm: str = ""
    lzfpbz: str = ""
    fppz: str = ""
    kprq: datetime | None = None
    hjje: Decimal | None = None
    hjse: Decimal | None = None
    jshj: Decimal | None = None
    difference_kind: str = ""  # cezslxDm
    lines: list[Line] = field(default_factory=list)

    def add(self, message: str) -> None:
        self.errors.append(message)


def _line_msg(index: int, text: str, name: str, list_name: str = "fpmxList") -> str:
    return f"第{index + 1}行：{text}（{list_name}[{index}].{name}）"


def check_invoice(invoice: dict, *, seller_nsrsbh: str, platform_id: str, now: datetime) -> CheckedInvoice:
    """Every check that needs nothing but the invoice itself, the code table and the clock."""
    checked = CheckedInvoice()
    if not isinstance(invoice, dict):
        checked.add("发票数据格式错误（请求体）")
        return checked
    text = {name: str(invoice.get(name) if invoice.get(name) is not None else "").strip() for name in (
        "fphm", "lzfpbz", "fppz", "kprq", "xsfnsrsbh", "xsfmc", "gmfnsrsbh", "gmfmc", "bz", "cezslxDm",
        "dylzfphm", "hzqrxxdbh", "hzqrduuid", "gmfzrrbz", "ptbh", "qyDm", "tdys", "ip", "macdz", "fpkjfsDm",
        "jsfs", "kprzjlx", "sgfplxDm", "ckywsyzcDm", "zzsjzjtDm",
        "gmfdz", "gmfdh", "gmfkhh", "gmfzh",
    )}
    checked.fphm, checked.lzfpbz, checked.fppz = text["fphm"], text["lzfpbz"], text["fppz"]
    checked.difference_kind = text["cezslxDm"]
    red = text["lzfpbz"] == "1"

    if not NUMBER_RE.match(text["fphm"]):
        checked.add("发票号码须为20位数字（fphm）")
    elif text["fphm"][4] != "7" or text["fphm"][5] not in "012":
        # RULES.md: YY, province, channel 7 (乐企), access mode 0/1/2, then the sequence.
        checked.add("发票号码第5位须为7（乐企渠道）、第6位须为0、1或2（接入方式）（fphm）")
    if text["lzfpbz"] not in ("0", "1"):
        checked.add("蓝字发票标志须为0或1（lzfpbz）")
    if text["fppz"] not in ("01", "02"):
        checked.add("发票票种须为01（专票）或02（普票）（fppz）")
    checked.kprq = parse_datetime(text["kprq"])
    if checked.kprq is None:
        checked.add("开票日期格式须为yyyy-MM-dd HH:mm:ss（kprq）")
    else:
        if checked.kprq > now + FUTURE_TOLERANCE:
            checked.add("开票日期不能晚于当前时间（kprq）")
        elif now - checked.kprq > UPLOAD_WINDOW:
            checked.add("开票日期距上传已超过48小时（kprq）")
        if NUMBER_RE.match(text["fphm"]) and text["fphm"][:2] != f"{checked.kprq.year % 100:02d}":
            checked.add("发票号码年份与开票日期年份不符（fphm）")
    if text["xsfnsrsbh"] != seller_nsrsbh:
        checked.add("销售方纳税人识别号与接入单位不符（xsfnsrsbh）")
    if not text["xsfmc"]:
        checked.add("销售方名称不能为空（xsfmc）")
    if not text["gmfmc"]:
        checked.add("购买方名称不能为空（gmfmc）")
    buyer_error = check_buyer_tax_id(text["gmfnsrsbh"], required=text["fppz"] == "01")
    if buyer_error:
        checked.add(buyer_error)
    if text["fppz"] == "01" and text["gmfzrrbz"] == "Y":
        # RULES.md: only a 普票 may go to a natural person; a 专票's buyer is a taxpayer.
        checked.add("增值税专用发票不能开具给自然人（gmfzrrbz）")
    limit = REMARK_LIMIT["1" if red else "0"]
    if len(text["bz"]) > limit:
        checked.add(f"备注不能超过{limit}个字符（bz）")
    for names, label, limit in PARTY_LENGTHS:
        if sum(len(text[name]) for name in names) > limit:
            checked.add(f"{label}合计不能超过{limit}个字符（{'、'.join(names)}）" if len(names) > 1
                        else f"{label}不能超过{limit}个字符（{names[0]}）")
    if text["cezslxDm"] not in DIFFERENCE_KINDS:
        checked.add("差额征税类型代码须为空、01（全额开票）或02（差额开票）（cezslxDm）")
    if text["ptbh"] != platform_id:
        checked.add("平台编号与接入单位不符（ptbh）")
    if not text["qyDm"] or len(text["qyDm"]) > 20:
        checked.add("区域代码不能为空，最长20个字符（qyDm）")
    if text["tdys"]:
        checked.add("沙箱暂不支持特定要素发票，特定要素须为空（tdys）")
    for name, label in (("sgfplxDm", "收购发票类型代码"), ("ckywsyzcDm", "出口业务适用政策代码"),
                        ("zzsjzjtDm", "增值税即征即退代码")):
        if text[name]:
            checked.add(f"沙箱暂不支持{label}，须为空（{name}）")
    for name, label in (("ip", "服务器地址"), ("macdz", "mac地址")):
        if not text[name] or len(text[name]) > 20:
            checked.add(f"{label}不能为空，最长20个字符（{name}）")
    if text["fpkjfsDm"] not in ("4", "5"):
        checked.add("发票开具方式代码须为4（第三方平台开票）或5（自建平台开票）（fpkjfsDm）")
    if text["jsfs"] not in SETTLEMENT_METHODS:
        checked.add("结算方式须为空或01、02、03、04、05、99（jsfs）")
    if text["kprzjlx"] and not re.fullmatch(r"\d{3}", text["kprzjlx"]):
        checked.add("开票人证件类型须为3位代码，如201（居民身份证）（kprzjlx）")
    if red:
        if not text["dylzfphm"]:
            checked.add("红字发票须填写对应蓝字发票号码（dylzfphm）")
        if not text["hzqrxxdbh"]:
            checked.add("红字发票须填写红字确认单编号（hzqrxxdbh）")
        if not text["hzqrduuid"]:
            checked.add("红字发票须填写红字确认单uuid（hzqrduuid）")

    for name, label in (("hjje", "合计金额"), ("hjse", "合计税额"), ("jshj", "价税合计")):
        try:
            value = to_money(invoice.get(name))
        except BadValue:
            value = None
            checked.add(f"{label}格式错误，须为最多两位小数的数字（{name}）")
        else:
            if value is None:
                checked.add(f"{label}不能为空（{name}）")
        setattr(checked, name, value)

    raw_lines = invoice.get("fpmxList")
    if not isinstance(raw_lines, list) or not 1 <= len(raw_lines) <= MAX_LINES:
        checked.add(f"发票明细须为1至{MAX_LINES}行（fpmxList）")
        return checked
    for index, raw in enumerate(raw_lines):
        checked.lines.append(_check_line(checked, index, raw, red=red))
    _check_discounts(checked, red=red)
    _check_totals(checked, red=red)
    return checked


def _check_line(checked: CheckedInvoice, index: int, raw, *, red: bool) -> Line:
    add = checked.add
    if not isinstance(raw, dict):
        add(_line_msg(index, "明细格式错误", "mxxh"))
        return Line(index, None, "", "00", "", None, None, None, None, None)
    values: dict[str, Decimal | None] = {}
    for name, label, parse in (
        ("je", "金额", to_money), ("se", "税额", to_money), ("slv", "税率", to_decimal),
        ("sl", "数量", to_decimal), ("dj", "单价", to_decimal),
    ):
        try:
            values[name] = parse(raw.get(name))
        except BadValue:
            values[name] = None
            add(_line_msg(index, f"{label}格式错误", name))
    line = Line(
        index=index,
        mxxh=raw.get("mxxh"),
        code=str(raw.get("sphfwssflhbbm") or "").strip(),
        fphxz=str(raw.get("fphxz") or "00").strip(),
        yhzcbs=str(raw.get("yhzcbs") or "").strip(),
        **values,
        xmmc=str(raw.get("xmmc") or "").strip(),
        ggxh=str(raw.get("ggxh") or "").strip(),
        dw=str(raw.get("dw") or "").strip(),
    )
    if str(line.mxxh) != str(index + 1):
        add(_line_msg(index, f"明细序号应为{index + 1}", "mxxh"))
    try:
        hsje, kce = to_money(raw.get("hsje")), to_money(raw.get("kce"))
    except BadValue:
        hsje = kce = None
        add(_line_msg(index, "含税金额或扣除额格式错误", "hsje"))
    else:
        if hsje is None:
            add(_line_msg(index, "含税金额不能为空", "hsje"))
        elif line.je is not None and line.se is not None and hsje != line.je + line.se:
            add(_line_msg(index, "含税金额须等于金额与税额之和", "hsje"))
        if kce is not None and kce != ZERO:
            text = "沙箱暂不支持差额开票，扣除额须为空或0" if checked.difference_kind else "非差额发票不得填写扣除额"
            add(_line_msg(index, text, "kce"))
    if red:
        try:
            line.blue_line_no = int(str(raw.get("dylzfpmxxh")))
        except (TypeError, ValueError):
            add(_line_msg(index, "红字发票须填写对应蓝字发票明细序号", "dylzfpmxxh"))
    for name, label, limit in LINE_LENGTHS:
        if len(getattr(line, name)) > limit:
            add(_line_msg(index, f"{label}不能超过{limit}个字符", name))
    for name, label in (("je", "金额"), ("se", "税额"), ("slv", "税率")):
        if raw.get(name) in (None, "") and values[name] is None:
            add(_line_msg(index, f"{label}不能为空", name))
    if line.fphxz not in LINE_KINDS:
        add(_line_msg(index, "发票行性质须为00、01或02", "fphxz"))
    if red and line.fphxz != "00":
        add(_line_msg(index, "红字发票明细行性质须为00", "fphxz"))
    if line.yhzcbs not in PREFERENTIAL_FLAGS:
        add(_line_msg(index, "优惠政策标识须为空、03（免税）或04（不征税）", "yhzcbs"))

    code = None
    if not CODE_RE.match(line.code):
        add(_line_msg(index, "税收分类编码须为19位数字", "sphfwssflhbbm"))
    else:
        code = reference.get_code(line.code)
        if code is None:
            add(_line_msg(index, "税收分类编码不存在", "sphfwssflhbbm"))
        elif code.is_summary:
            add(_line_msg(index, "税收分类编码为汇总项，不能使用", "sphfwssflhbbm"))
            code = None

    name = str(raw.get("hwhyslwfwmc") or "")
    if code is not None:
        # The table leaves ten short names blank; they are their parent's (技术咨询服务 → 研发和技术服务).
        short_name = reference.short_name_of(code.code)
        prefix = f"*{short_name}*"
        if not name.startswith(prefix) or len(name) == len(prefix):
            add(_line_msg(index, f"商品名称须为“{prefix}项目名称”（税收分类简称{short_name}）", "hwhyslwfwmc"))
        if str(raw.get("spfwjc") or "") != short_name:
            add(_line_msg(index, f"商品服务简称须为税收分类简称{short_name}", "spfwjc"))
    elif not name:
        add(_line_msg(index, "商品名称不能为空", "hwhyslwfwmc"))

    if line.slv is not None:
        if line.yhzcbs in ("03", "04"):
            if line.slv != ZERO:
                add(_line_msg(index, "享受免税或不征税政策时税率须为0", "slv"))
            if line.se is not None and line.se != ZERO:
                add(_line_msg(index, "享受免税或不征税政策时税额须为0", "se"))
            if code is not None and line.yhzcbs not in code.preferential:
                add(_line_msg(index, f"税收分类编码{line.code}不适用优惠政策标识{line.yhzcbs}", "yhzcbs"))
        elif code is not None and line.slv not in code.rates:
            add(_line_msg(index, f"税率{line.slv}不是税收分类编码{line.code}允许的税率", "slv"))

    discount = line.fphxz == "01"
    if discount:
        if line.sl is not None or line.dj is not None:
            add(_line_msg(index, "折扣行不得填写数量和单价", "sl" if line.sl is not None else "dj"))
        for name, label in (("ggxh", "规格型号"), ("dw", "单位")):
            if getattr(line, name):
                add(_line_msg(index, f"折扣行不得填写{label}", name))
    elif (line.sl is None) != (line.dj is None):
        add(_line_msg(index, "数量与单价须同时填写或同时为空", "dj" if line.dj is None else "sl"))
    if line.sl is not None and line.dj is not None and line.je is not None:
        if abs(line.dj * line.sl - line.je) > LINE_AMOUNT_TOLERANCE:
            add(_line_msg(index, "金额与单价×数量不符", "je"))
    if line.je is not None and line.slv is not None and line.se is not None:
        if abs(line.je * line.slv - line.se) > LINE_TAX_TOLERANCE:
            add(_line_msg(index, "税额与金额×税率不符", "se"))

    if line.dj is not None and line.dj <= ZERO:
        add(_line_msg(index, "单价须为正数", "dj"))
    if red:
        if line.je is not None and line.je >= ZERO:
            add(_line_msg(index, "红字发票金额须为负数", "je"))
        if line.sl is not None and line.sl >= ZERO:
            add(_line_msg(index, "红字发票数量须为负数", "sl"))
        if line.se is not None and line.se > ZERO:
            add(_line_msg(index, "红字发票税额不得为正数", "se"))
    elif discount:
        if line.je is not None and line.je >= ZERO:
            add(_line_msg(index, "折扣行金额须为负数", "je"))
        if line.se is not None and line.se > ZERO:
            add(_line_msg(index, "折扣行税额不得为正数", "se"))
    else:
        if line.je is not None and line.je <= ZERO:
            add(_line_msg(index, "蓝字发票金额须为正数", "je"))
        if line.sl is not None and line.sl <= ZERO:
            add(_line_msg(index, "蓝字发票数量须为正数", "sl"))
        if line.se is not None and line.se < ZERO:
            add(_line_msg(index, "蓝字发票税额不得为负数", "se"))
    return line


def _check_discounts(checked: CheckedInvoice, *, red: bool) -> None:
    if red:
        return
    lines = checked.lines
    for position, line in enumerate(lines):
        if line.fphxz == "02":
            following = lines[position + 1] if position + 1 < len(lines) else None
            if following is None or following.fphxz != "01":
                checked.add(_line_msg(position, "被折扣行之后须紧跟其折扣行", "fphxz"))
        elif line.fphxz == "01":
            previous = lines[position - 1] if position else None
            if previous is None or previous.fphxz != "02":
                checked.add(_line_msg(position, "折扣行须紧跟在被折扣行之后", "fphxz"))
                continue
            if line.xmmc != previous.xmmc:
                checked.add(_line_msg(position, "折扣行的项目名称须与被折扣行一致", "xmmc"))
            if line.code != previous.code:
                checked.add(_line_msg(position, "折扣行的税收分类编码须与被折扣行一致", "sphfwssflhbbm"))
            if line.slv != previous.slv:
                checked.add(_line_msg(position, "折扣行的税率须与被折扣行一致", "slv"))
            if line.je is not None and previous.je is not None and -line.je > previous.je:
                checked.add(_line_msg(position, "折扣金额不能超过被折扣行金额", "je"))


def _check_totals(checked: CheckedInvoice, *, red: bool) -> None:
    lines = checked.lines
    if any(line.je is None for line in lines) or checked.hjje is None:
        return
    if abs(sum((line.je for line in lines), ZERO) - checked.hjje) > TOTAL_AMOUNT_TOLERANCE:
        checked.add("合计金额与明细金额之和不符（hjje）")
    if checked.hjse is not None and all(line.slv is not None for line in lines):
        computed = sum((line.je * line.slv for line in lines), ZERO)
        if abs(computed - checked.hjse) > TOTAL_TAX_TOLERANCE:
            checked.add("合计税额与明细金额×税率之和不符（hjse）")
    if checked.hjse is not None and checked.jshj is not None:
        if checked.hjje + checked.hjse != checked.jshj:
            checked.add("价税合计不等于合计金额与合计税额之和（jshj）")
        if red and checked.jshj >= ZERO:
            checked.add("红字发票价税合计须为负数（jshj）")
        if not red and checked.jshj <= ZERO:
            checked.add("蓝字发票价税合计须为正数（jshj）")


# --- Red letters ---------------------------------------------------------------------------------

RED_REASONS = {"01": "开票有误", "02": "销货退回", "03": "服务中止", "04": "销售折让"}


def blue_lines(payload: dict) -> dict[int, dict]:
    """The blue invoice's lines by their mxxh."""
    result = {}
    for position, raw in enumerate(payload.get("fpmxList") or [], start=1):
        try:
            number = int(raw.get("mxxh") or position)
        except (TypeError, ValueError):
            number = position
        result[number] = raw
    return result


@dataclass
class FormCheck:
    code: str = "00"
    errors: list[str] = field(default_factory=list)
    lines: list[dict] = field(default_factory=list)
    hzcxje: Decimal | None = None
    hzcxse: Decimal | None = None

    def fail(self, code: str, message: str) -> None:
        # A parameter error (01) wins over a red-letter rule error (16) as the returncode.
        if self.code in ("00", "16"):
            self.code = code if self.code == "00" or code == "01" else self.code
        self.errors.append(message)


def check_red_form(
    request: dict, *, blue_payload: dict, reversed_amounts: dict[int, Decimal], reversed_before: bool
) -> FormCheck:
    """A red-letter form request against its blue invoice (QDHZQRDSQ and the buyer's entry).

    The lines are kept in the sandbox's own shape (``sl``, ``dj``, ``slv``), whatever the wire names.

    ``reversed_amounts`` maps a blue line's mxxh to the (positive) amount already taken by forms
    that are not void.
    """
    check = FormCheck()
    chyydm = str(request.get("chyyDm") or "")
    if chyydm not in RED_REASONS:
        check.fail("01", "红冲原因代码须为01至04（chyyDm）")
    _check_blue_facts(check, request, blue_payload)
    try:
        check.hzcxje = to_money(request.get("hzcxje"))
        check.hzcxse = to_money(request.get("hzcxse"))
    except BadValue:
        check.fail("01", "红冲金额或税额格式错误（hzcxje）")
    mx_list = request.get("hzqrdmxList")
    if not isinstance(mx_list, list) or not mx_list:
        check.fail("01", "红字确认单明细不能为空（hzqrdmxList）")
        return check
    blue = blue_lines(blue_payload)
    seen: set[int] = set()
    total_je = total_se = ZERO
    for index, raw in enumerate(mx_list):
        msg = lambda text, name, i=index: _line_msg(i, text, name, "hzqrdmxList")  # noqa: E731
        if not isinstance(raw, dict):
            check.fail("01", msg("明细格式错误", "lzmxxh"))
            continue
        try:
            number = int(raw.get("lzmxxh"))
        except (TypeError, ValueError):
            check.fail("01", msg("蓝字发票明细序号格式错误", "lzmxxh"))
            continue
        blue_line = blue.get(number)
        if blue_line is None:
            check.fail("16", msg(f"蓝字发票不存在第{number}行", "lzmxxh"))
            continue
        if number in seen:
            check.fail("01", msg(f"蓝字发票第{number}行重复出现", "lzmxxh"))
            continue
        seen.add(number)
        try:
            je, se = to_money(raw.get("je")), to_money(raw.get("se"))
            slv, sl, dj = to_decimal(raw.get("sl1")), to_decimal(raw.get("fpspsl")), to_decimal(raw.get("fpspdj"))
            blue_je, blue_slv = to_money(blue_line.get("je")), to_decimal(blue_line.get("slv"))
            blue_dj = to_decimal(blue_line.get("dj"))
        except BadValue:
            check.fail("01", msg("金额、税率、数量或单价格式错误", "je"))
            continue
        if je is None or se is None or slv is None:
            check.fail("01", msg("金额、税额和税率不能为空", "je"))
            continue
        code = str(raw.get("sphfwssflhbbm") or "")
        if code != str(blue_line.get("sphfwssflhbbm") or ""):
            check.fail("16", msg("税收分类编码与蓝字发票不符", "sphfwssflhbbm"))
        if slv != blue_slv:
            check.fail("16", msg("税率与蓝字发票不符", "sl1"))
        if je >= ZERO:
            check.fail("01", msg("红冲金额须为负数", "je"))
        if se > ZERO:
            check.fail("01", msg("红冲税额不得为正数", "se"))
        if sl is not None and sl >= ZERO:
            check.fail("01", msg("红冲数量须为负数", "fpspsl"))
        if abs(je * slv - se) > LINE_TAX_TOLERANCE:
            check.fail("01", msg("税额与金额×税率不符", "se"))
        if sl is not None and dj is not None and abs(dj * sl - je) > LINE_AMOUNT_TOLERANCE:
            check.fail("01", msg("金额与单价×数量不符", "je"))
        if chyydm == "02":
            if code.startswith("3"):
                check.fail("16", msg("服务类编码不能以销货退回（02）红冲", "sphfwssflhbbm"))
            if sl is None or dj is None:
                check.fail("16", msg("销货退回须填写数量和单价", "fpspsl"))
            elif dj != blue_dj:
                check.fail("16", msg("销货退回只能变更数量，单价须与蓝字发票一致", "fpspdj"))
        elif chyydm == "03":
            if code[:1] in ("1", "2"):
                check.fail("16", msg("货物和劳务类编码不能以服务中止（03）红冲", "sphfwssflhbbm"))
            if dj is not None and dj != blue_dj:
                check.fail("16", msg("服务中止不能变更单价", "fpspdj"))
        elif chyydm == "04" and (sl is not None or dj is not None):
            check.fail("16", msg("销售折让不得填写数量和单价", "fpspsl" if sl is not None else "fpspdj"))
        if blue_je is not None:
            remaining = blue_je - reversed_amounts.get(number, ZERO)
            if -je > remaining:
                check.fail("16", msg(f"红冲金额超过蓝字发票第{number}行剩余可红冲金额{money_text(remaining)}", "je"))
        total_je += je
        total_se += se
        check.lines.append({
            "lzmxxh": number, "xmmc": raw.get("xmmc") or blue_line.get("xmmc") or "",
            "hwhyslwfwmc": raw.get("hwhyslwfwmc") or blue_line.get("hwhyslwfwmc") or "",
            "spfwjc": raw.get("spfwjc") or blue_line.get("spfwjc") or "",
            "sphfwssflhbbm": code, "ggxh": raw.get("ggxh") or "", "dw": raw.get("dw") or "",
            "sl": "" if sl is None else str(sl), "dj": "" if dj is None else str(dj),
            "je": money_text(je), "slv": str(slv), "se": money_text(se),
        })
    if check.hzcxje is not None and check.hzcxje != total_je:
        check.fail("01", "红冲金额合计与明细金额之和不符（hzcxje）")
    if check.hzcxse is not None and check.hzcxse != total_se:
        check.fail("01", "红冲税额合计与明细税额之和不符（hzcxse）")
    if check.hzcxje is None or check.hzcxse is None:
        check.fail("01", "红冲金额和红冲税额不能为空（hzcxje）")
    if str(blue_payload.get("cezslxDm") or "") in ("01", "02"):
        full = not reversed_before and set(seen) == set(blue) and all(
            to_money(line.get("je")) == -to_money(blue[line["lzmxxh"]].get("je")) for line in check.lines
        )
        if not full:
            check.fail("16", "差额征税发票只能全额红冲（hzqrdmxList）")
    return check


def _check_blue_facts(check: FormCheck, request: dict, blue: dict) -> None:
    """The blue invoice as the applicant states it must be the invoice the platform holds."""
    for name, blue_name, label in (
        ("gmfmc", "gmfmc", "购买方名称"), ("gmfnsrsbh", "gmfnsrsbh", "购买方纳税人识别号"),
        ("lzkprq", "kprq", "蓝字发票开票日期"), ("lzfppzDm", "fppz", "蓝字发票票种代码"),
    ):
        if str(request.get(name) or "") != str(blue.get(blue_name) or ""):
            check.fail("01", f"{label}与蓝字发票不符（{name}）")
    for name, blue_name, label in (("lzhjje", "hjje", "蓝字发票合计金额"), ("lzhjse", "hjse", "蓝字发票合计税额")):
        try:
            stated, held = to_money(request.get(name)), to_money(blue.get(blue_name))
        except BadValue:
            stated, held = None, ZERO
        if stated is None or stated != held:
            check.fail("01", f"{label}与蓝字发票不符（{name}）")
    if str(request.get("sfzzfpbz") or "N") != "N":
        check.fail("01", "数电发票的是否纸质发票标志须为N（sfzzfpbz）")
    if not str(request.get("xsfmc") or ""):
        check.fail("01", "销售方名称不能为空（xsfmc）")


def check_red_against_form(
    checked: CheckedInvoice, *, form_lines: list[dict], hzcxje: Decimal, hzcxse: Decimal,
    blue_fppz: str, blue_payload: dict, reversed_by_red: dict[int, Decimal],
) -> None:
    """A red invoice must match its form line by line and never exceed what is left of a blue line."""
    if checked.fppz != blue_fppz:
        if blue_fppz == "01":
            checked.add("增值税专用发票只能以红字专用发票红冲（fppz）")
        else:
            checked.add("红字发票票种须与蓝字发票一致（fppz）")
    if len(checked.lines) != len(form_lines):
        checked.add("红字发票明细行数与红字确认单不符（fpmxList）")
        return
    blue = blue_lines(blue_payload)
    for line, form_line in zip(checked.lines, form_lines, strict=True):
        if line.blue_line_no is not None and line.blue_line_no != form_line["lzmxxh"]:
            checked.add(_line_msg(line.index, "对应蓝字发票明细序号与红字确认单不符", "dylzfpmxxh"))
        for name, mine, theirs in (
            ("sphfwssflhbbm", line.code, form_line["sphfwssflhbbm"]),
            ("slv", line.slv, to_decimal(form_line["slv"])),
            ("je", line.je, to_decimal(form_line["je"])),
            ("se", line.se, to_decimal(form_line["se"])),
            ("sl", line.sl, to_decimal(form_line.get("sl"))),
            ("dj", line.dj, to_decimal(form_line.get("dj"))),
        ):
            if mine != theirs:
                checked.add(_line_msg(line.index, "与红字确认单明细不符", name))
        blue_je = to_money((blue.get(form_line["lzmxxh"]) or {}).get("je")) or ZERO
        remaining = blue_je - reversed_by_red.get(form_line["lzmxxh"], ZERO)
        if line.je is not None and -line.je > remaining:
            checked.add(_line_msg(line.index, f"红冲金额超过蓝字发票第{form_line['lzmxxh']}行剩余可红冲金额", "je"))
    if checked.hjje is not None and checked.hjje != hzcxje:
        checked.add("合计金额与红字确认单红冲金额不符（hjje）")
    if checked.hjse is not None and checked.hjse != hzcxse:
        checked.add("合计税额与红字确认单红冲税额不符（hjse）")
