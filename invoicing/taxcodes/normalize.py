"""Cleaning shop-style product names before matching them to tax codes.

"【买二送一】农夫山泉饮用天然水 550ml*24瓶" → "饮用天然水": width and traditional forms are
folded, promotions, brands, sizes, counts and codes are dropped; bracketed remarks are kept
apart because they sometimes name the product's kind ("仙贝（膨化食品）").
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache

import opencc

# Generic retail noise, not product words. Longest first so that "包邮" goes before "包".
PROMOTION_WORDS = sorted(
    """
    买一送一 买二送一 买三送一 第二件半价 半价 特价 特惠 优惠装 优惠 促销 秒杀 限时 限量 包邮 顺丰 新品 新款
    爆款 热卖 热销 现货 正品 官方 旗舰店 旗舰 专卖 自营 直营 进口 国产 赠品 赠送 送礼 礼盒装 量贩装 量贩
    家庭装 组合装 套装 替换装 补充装 实惠装 经济装 大容量 小容量 超值 加量 囤货 清仓 网红 同款 款式 新包装
    """.split(),
    key=len,
    reverse=True,
)

# Well-known consumer brands; a brand never tells the tax code and often misleads the n-grams
# ("农夫山泉" shares 山, 泉 with nothing useful). Generic list, not taken from any test data.
BRANDS = sorted(
    """
    农夫山泉 怡宝 娃哈哈 康师傅 统一 百岁山 景田 冰露 可口可乐 百事可乐 百事 雪碧 芬达 元气森林 王老吉 加多宝 红牛
    东鹏 脉动 尖叫 伊利 蒙牛 光明 君乐宝 三元 飞鹤 雀巢 达能 安佳 德亚 三只松鼠 良品铺子 百草味 来伊份 洽洽
    旺旺 乐事 上好佳 好丽友 奥利奥 德芙 费列罗 士力架 益达 绿箭 大白兔 徐福记 卫龙 海天 李锦记 老干妈 太太乐
    金龙鱼 福临门 鲁花 五得利 白象 今麦郎 农心 日清 双汇 金锣 雨润 思念 三全 湾仔码头 安琪 立白 蓝月亮 汰渍
    奥妙 雕牌 舒肤佳 力士 海飞丝 潘婷 飘柔 清扬 多芬 高露洁 佳洁士 云南白药 黑人 维达 清风 心相印 洁柔 得宝
    护舒宝 苏菲 七度空间 帮宝适 好奇 花王 妮维雅 欧莱雅 大宝 百雀羚 自然堂 无印良品 宜家 小米 华为 苹果手机
    联想 美的 格力 海尔 九阳 苏泊尔 小熊 飞利浦 松下 西门子 博世 戴森 耐克 阿迪达斯 李宁 安踏 优衣库 晨光
    得力 齐心 真彩 斑马 百乐 三菱 施德楼 辉柏嘉 星巴克 瑞幸 雀巢咖啡 麦斯威尔 立顿 张一元 吴裕泰 茅台 五粮液
    洋河 泸州老窖 汾酒 青岛啤酒 雪花 百威 哈尔滨啤酒 燕京 长城 张裕 中华
    """.split(),
    key=len,
    reverse=True,
)

UNITS = (
    "ml|毫升|l|升|kg|千克|公斤|g|克|mg|斤|两|cm|厘米|mm|毫米|m|米|寸|英寸|码|号|瓶|罐|听|袋|包|盒|箱|件|只|个|支|"
    "条|张|片|粒|颗|枚|根|双|对|套|组|卷|块|本|册|桶|杯|份|入|装|pcs|pc|p|w|v|mah|a|度|%|％|x|×|\\*"
)
_SIZE = re.compile(
    rf"(?:[*×x]\s*)?\d+(?:\.\d+)?\s*(?:-\d+(?:\.\d+)?)?\s*(?:{UNITS})?(?:\s*[*×x/]\s*\d+(?:\.\d+)?\s*(?:{UNITS})?)*",
    re.IGNORECASE,
)
_BRACKETS = re.compile(r"[【\[〔［<《〈「『](.*?)[】\]〕］>》〉」』]|[（(](.*?)[)）]")
_PUNCT = re.compile(r"[\s/\\|,，、;；:：.。·・!！?？~～\-—_+=&＆#＃@'\"“”‘’`^$￥…*×()（）\[\]【】{}<>《》]+")
_ASCII_WORD = re.compile(r"[a-z]+")
_CJK = re.compile(r"[\u4e00-\u9fff]")


@cache
def _converter() -> opencc.OpenCC:
    # Pinned in requirements.txt. No fallback: without it 麵包 and 面包 would silently stop
    # matching, and the matcher's figures with them.
    return opencc.OpenCC("t2s")


def fold(text: str) -> str:
    """NFKC (full-width → half-width), traditional → simplified, lower case."""
    text = unicodedata.normalize("NFKC", text or "")
    return _converter().convert(text).lower()


@dataclass(frozen=True)
class CleanName:
    core: str  # the product words, for matching
    remarks: str  # what stood in brackets (minus promotions), weaker evidence


def _strip_noise(text: str) -> str:
    for word in PROMOTION_WORDS:
        text = text.replace(word, " ")
    for brand in BRANDS:
        text = text.replace(brand, " ")
    text = _SIZE.sub(" ", text)
    return text


# Whole tokens that only describe colour, series or variant ("灰色", "2色", "系列", "左").
_VARIANT_TOKEN = re.compile(
    r"^(?:[浅深亮暗淡纯]?(?:红|黄|蓝|绿|白|黑|灰|棕|紫|粉|橙|咖啡|卡其|米|肤|银|金|原|藏青|彩|杂|多)色|系列|左|右|大|中|小|"
    rf"(?:{UNITS}))$"
)


def _tidy(text: str) -> str:
    text = _PUNCT.sub(" ", text)
    # Latin words are kept only when the name has no Chinese at all (then they are all we have).
    if _CJK.search(text):
        text = re.sub(r"t恤", "\x00恤", text)
        text = _ASCII_WORD.sub(" ", text).replace("\x00", "t")
    tokens = [token for token in text.split() if not _VARIANT_TOKEN.match(token)]
    return " ".join(tokens)


def clean_name(name: str) -> CleanName:
    text = fold(name)
    remarks = " ".join(a or b for a, b in _BRACKETS.findall(text))
    text = _BRACKETS.sub(" ", text)
    core = _tidy(_strip_noise(text))
    remarks = _tidy(_strip_noise(remarks))
    if not core:  # a name that was all brackets: "【苹果】"
        core, remarks = remarks, ""
    return CleanName(core=core, remarks=remarks)


def history_words(name: str) -> tuple[list[str], list[str]]:
    """(Chinese product words, Latin words) of a name, for comparing it with a company's history.

    Unlike ``clean_name`` this keeps Latin words of two or more letters (PET, LED, USB): a shop
    reuses them across its own product lines even though the official table never does.
    """
    text = _BRACKETS.sub(lambda m: " " + (m.group(1) or m.group(2) or "") + " ", fold(name))
    latin = [w for w in _ASCII_WORD.findall(_PUNCT.sub(" ", _strip_noise(text))) if len(w) >= 2]
    core = clean_name(name).core
    words = [re.sub(r"[^\u4e00-\u9fffa-z]", "", w) for w in core.split()]
    return [w for w in words if w], latin


def normalize_name(name: str) -> str:
    """The key under which a company's choice for a product name is remembered."""
    cleaned = clean_name(name)
    return cleaned.core.replace(" ", "") or fold(name).strip()
