"""Suggest tax classification codes for a shop-style product name (issue 8).

How it works, in one pass over the official table (built once per process, ~0.5 s):

* every usable code gets *phrases*: its name and the parts of it, its short name, the items
  its description lists after 包括 (up to 不包括), aliases (别名), and — weaker — the phrases of
  its summary ancestors; and the shop words of retail_terms.csv that name it (牛油果 → 鳄梨);
* a product name is cleaned (normalize.py), then every substring of it that equals a phrase
  is evidence for that phrase's codes, weighted by the phrase's source, its length and whether
  it ends the name (Chinese product names end with the head noun: 玻璃杯**蜡烛**);
* a character-bigram BM25 over the same text catches partial overlaps (洗发液 ~ 洗发水);
* a head word none of that knows votes, weakly, through its thesaurus group (thesaurus.py:
  白兰地 sits with 啤酒).

Then the company's own history (history.py: its remembered choices and catalogue) is combined
with it (``candidates``): the same normalized name wins outright, similar names it already
coded vote for their codes, and codes of families it already invoices are preferred. Each
suggestion's confidence is a probability calibrated on the dev half (``CALIBRATION``,
bench/calibrate.py), since the integration API codes a line by itself only above the
company's threshold. No network at run time; the data comes from invoicing/data.
"""

from __future__ import annotations

import csv
import math
import re
import threading
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from functools import cache

from invoicing.taxcodes import table, thesaurus
from invoicing.taxcodes.history import HistoryIndex
from invoicing.taxcodes.normalize import clean_name, fold, normalize_name
from invoicing.taxcodes.synonyms import SYNONYMS

RETAIL_TERMS_CSV = table.DATA_DIR / "retail_terms.csv"

# Relative trust in where a phrase comes from.
W_NAME = 1.0
W_NAME_PART = 0.9
W_ITEM = 0.85
W_SHORT = 0.55
W_ANCESTOR = 0.35
W_RETAIL = 1.0  # a retail term (retail_terms.csv) names its code as surely as the code's own name
W_OTHER_CHILD = 0.5  # a summary's phrase, given to its "其他…" child

END_BONUS = 1.6  # the phrase ends a word of the name (the head noun)
LAST_WORD_BONUS = 1.25  # …and that word is the last one
REMARK_FACTOR = 0.5  # bracketed remarks count half
SYNONYM_FACTOR = 0.8
BM25_WEIGHT = 0.35
THESAURUS_NEAR = 0.3  # a code linked to the head word's synonym group
THESAURUS_FAR = 0.1  # …to the group's parent
MAX_PHRASE = 12

# Table and history combined (suggest_with_history); tuned on the dev half, leave-one-out.
W_TABLE = 1.0
W_HISTORY = 4.0
CANDIDATES = 30
FAMILY_BOOST = 0.6  # a table candidate of a family (short name) the company already invoices

_SPLIT = re.compile(r"[、，,；;：:。（）()\s/]+|及|和|与|或")
_INCLUDED = re.compile(r"(?:包括|包含|如)[：:]?(.*?)(?:不包括|不包含|不含|$)")
_ALIAS = re.compile(r"别名[：:]?([^）)]*)")
_GENERIC = {"其他", "制品", "产品", "用品", "类似品", "相关", "加工品", "服务", "设备", "零件", "配件", "材料", "器具"}


@dataclass(frozen=True)
class Suggestion:
    code: str
    name: str
    short_name: str
    rates: tuple[Decimal, ...]
    confidence: float  # 0–1
    reason: str  # Chinese, for the clerk
    source: str = "matcher"  # "memory": the company's own choice for this name; "history": like one it coded
    rate: Decimal | None = None  # the rate this company invoices this code at, when it has said so
    abstain: str = ""  # why this first suggestion is held back from automatic coding (Chinese), if it is


@cache
def retail_terms() -> dict[str, str]:
    """Shop words → the usable code a retailer invoices them under (invoicing/data/retail_terms.csv).

    Written from general retail knowledge, not from any labelled example: the table says
    其他酒 and 鲜切花及花蕾, shops say 白兰地 and 洋桔梗.
    """
    if not RETAIL_TERMS_CSV.exists():
        return {}
    with RETAIL_TERMS_CSV.open(encoding="utf-8") as handle:
        return {_whole(row["term"]): row["code"].strip() for row in csv.DictReader(handle) if _whole(row["term"])}


def _phrase_forms(text: str) -> set[str]:
    """The matchable forms of a table phrase: folded, without bracketed notes, split in parts."""
    text = fold(text)
    text = re.sub(r"[（(][^）)]*[)）]", "", text)
    forms = set()
    for part in _SPLIT.split(text):
        part = re.sub(r"^(?:例如|比如|如|包括|包含)", "", part.strip()).removesuffix("等").removeprefix("其他")
        part = re.sub(r"[^\u4e00-\u9fffa-z]", "", part)
        if part and part not in _GENERIC and len(part) <= MAX_PHRASE:
            forms.add(part)
            if part.endswith("类") and len(part) > 2:
                forms.add(part[:-1])
    return forms


def _whole(text: str) -> str:
    return re.sub(r"[^\u4e00-\u9fffa-z]", "", re.sub(r"[（(][^）)]*[)）]", "", fold(text)))


class _Index:
    def __init__(self) -> None:
        codes = table.all_codes()
        self.info = {c.code: c for c in codes}
        usable = [c for c in codes if not c.is_summary]
        # phrase → {code: weight}
        self.phrases: dict[str, dict[str, float]] = defaultdict(dict)
        self.docs: dict[str, list[str]] = {}

        def add(phrase: str, code: str, weight: float) -> None:
            if len(phrase) > MAX_PHRASE:
                return
            current = self.phrases[phrase].get(code, 0.0)
            if weight > current:
                self.phrases[phrase][code] = weight

        own_phrases: dict[str, list[tuple[str, float]]] = {}
        for info in codes:
            entries: list[tuple[str, float]] = []
            whole = _whole(info.name)
            if whole:
                entries.append((whole.removeprefix("其他"), W_NAME))
            entries += [(p, W_NAME_PART) for p in _phrase_forms(info.name)]
            entries += [(p, W_SHORT) for p in _phrase_forms(info.short_name)]
            description = fold(info.description)
            for match in _INCLUDED.finditer(description):
                entries += [(p, W_ITEM) for p in _phrase_forms(match.group(1))]
            for match in _ALIAS.finditer(description):
                entries += [(p, W_ITEM) for p in _phrase_forms(match.group(1))]
            own_phrases[info.code] = [(p, w) for p, w in entries if p]
        for term, code in retail_terms().items():
            if code in own_phrases and not self.info[code].is_summary:
                own_phrases[code].append((term, W_RETAIL))

        for info in usable:
            for phrase, weight in own_phrases[info.code]:
                add(phrase, info.code, weight)
            is_other = info.name.startswith("其他")
            parent = table.parent_code(info.code)
            depth = 0
            while parent:
                depth += 1
                factor = (W_OTHER_CHILD if is_other and depth == 1 else W_ANCESTOR) / depth
                for phrase, weight in own_phrases.get(parent, []):
                    add(phrase, info.code, weight * factor)
                parent = table.parent_code(parent)
            text = " ".join(p for p, _ in own_phrases[info.code])
            self.docs[info.code] = _bigrams(text)

        # BM25 over character bigrams of each usable code's own phrases.
        self.postings: dict[str, list[tuple[str, int]]] = defaultdict(list)
        lengths = {}
        for code, grams in self.docs.items():
            counts: dict[str, int] = defaultdict(int)
            for gram in grams:
                counts[gram] += 1
            lengths[code] = len(grams) or 1
            for gram, count in counts.items():
                self.postings[gram].append((code, count))
        self.lengths = lengths
        self.avg_length = sum(lengths.values()) / max(len(lengths), 1)
        n = len(self.docs)
        self.idf = {g: math.log(1 + (n - len(p) + 0.5) / (len(p) + 0.5)) for g, p in self.postings.items()}
        usable_codes = set(self.docs)
        self.links = thesaurus.GroupLinks(
            {phrase: {c: w for c, w in hits.items() if c in usable_codes} for phrase, hits in self.phrases.items()}
        )

    def bm25(self, grams: list[tuple[str, float]]) -> dict[str, float]:
        k1, b = 1.2, 0.75
        scores: dict[str, float] = defaultdict(float)
        for gram, weight in grams:
            idf = self.idf.get(gram)
            if idf is None:
                continue
            for code, tf in self.postings[gram]:
                norm = tf * (k1 + 1) / (tf + k1 * (1 - b + b * self.lengths[code] / self.avg_length))
                scores[code] += weight * idf * norm
        return scores


def _bigrams(text: str) -> list[str]:
    grams = []
    for word in text.split():
        grams += [word[i : i + 2] for i in range(len(word) - 1)] or [word]
    return grams


_lock = threading.Lock()


@cache
def _index() -> _Index:
    with _lock:
        return _Index()


def warm_up() -> None:
    """Build the index now (e.g. at worker start) instead of at the first lookup."""
    _index()


def _query_words(name: str) -> tuple[list[tuple[str, float, bool, str]], str]:
    """(word, weight, is_last, synonym key) for the product words, remarks and synonyms."""
    cleaned = clean_name(name)
    words = cleaned.core.split()
    result = [(w, 1.0, i == len(words) - 1, "") for i, w in enumerate(words)]
    result += [(w, REMARK_FACTOR, False, "") for w in cleaned.remarks.split()]
    joined = "".join(words) + " " + cleaned.remarks
    for key, targets in SYNONYMS.items():
        if key in joined:
            # a synonym of the name's last characters (the head noun) counts like the name itself
            is_head = bool(words) and words[-1].endswith(key)
            factor = 1.0 if is_head else SYNONYM_FACTOR
            result += [(_whole(t), factor, is_head, key) for t in targets]
    return result, joined


# Shops sell finished consumer goods: codes for machines, industrial materials and services
# need the name to say so ("机", "设备", "服务") before they rank high.
_INDUSTRIAL_NAME = re.compile(r"机械|机床|设备|装置|机器|专用|工业|冶炼|压延|原料|半成品|基础化学|矿")
_INDUSTRIAL_QUERY = re.compile(r"机|器|设备|装置|工业|原料|零件")
_SERVICE_QUERY = re.compile(r"服务|费|维修|安装|运输|咨询|培训|租")


_MATERIAL_FAMILY = re.compile(r"冶炼压延品|矿|化学原料|基础化学品|合成材料|化学纤维|纱|织物|人造革")


def _prior(code: str, name: str, query: str) -> float:
    factor = 1.0
    if _INDUSTRIAL_NAME.search(name) and not _INDUSTRIAL_QUERY.search(query):
        factor *= 0.4
    if _MATERIAL_FAMILY.search(table.short_name_of(code)):
        factor *= 0.6
    if code[0] != "1" and not _SERVICE_QUERY.search(query):
        factor *= 0.5
    return factor


def _score(name: str) -> tuple[dict[str, float], dict[str, tuple[str, str]]]:
    index = _index()
    scores: dict[str, float] = defaultdict(float)
    best: dict[str, float] = defaultdict(float)
    why: dict[str, tuple[str, str]] = {}
    grams: list[tuple[str, float]] = []
    words, query = _query_words(name)
    for word, weight, is_last, origin in words:
        word = re.sub(r"[^\u4e00-\u9fffa-z]", "", word)
        n = len(word)
        for start in range(n):
            for end in range(start + 1, min(n, start + MAX_PHRASE) + 1):
                piece = word[start:end]
                hits = index.phrases.get(piece)
                if not hits:
                    continue
                # a synonym is as strong as the shop word that triggered it, not its longer target
                length = min(end - start, len(origin)) if origin else end - start
                strength = weight * length**1.5
                if end == n and (is_last or not origin):
                    strength *= END_BONUS * (LAST_WORD_BONUS if is_last else 1.0)
                for code, phrase_weight in hits.items():
                    value = strength * phrase_weight
                    scores[code] += 0.15 * value
                    if value > best[code]:
                        best[code] = value
                        why[code] = (origin or piece, piece if origin else "")
        if not origin:
            _thesaurus_evidence(index, word, weight, is_last, best, why)
        for i in range(n - 1):
            # later bigrams weigh more: the head noun is at the end
            grams.append((word[i : i + 2], weight * (0.6 + 0.4 * (i + 2) / n)))
    for code, value in best.items():
        scores[code] += value
    for code, value in index.bm25(grams).items():
        scores[code] += BM25_WEIGHT * value
    for code in scores:
        scores[code] *= _prior(code, index.info[code].name, query)
    return scores, why


def _thesaurus_evidence(index, word, weight, is_last, best, why) -> None:
    """The word's head (its longest ending the thesaurus knows) votes for its groups' codes."""
    for start in range(max(0, len(word) - 8), len(word) - 1):
        head = word[start:]
        if not thesaurus.knows(head):
            continue
        near, far = index.links.votes(head)
        strength = weight * len(head) ** 1.5 * END_BONUS * (LAST_WORD_BONUS if is_last else 1.0)
        for factor, votes in ((THESAURUS_NEAR, near), (THESAURUS_FAR, far)):
            for code, (phrase_weight, phrase) in votes.items():
                value = factor * strength * phrase_weight
                if value > best[code]:
                    best[code] = value
                    why[code] = (head, "", phrase)
        return


def _sigmoid(x: float) -> float:
    return 1 / (1 + math.exp(-max(-30.0, min(30.0, x))))


@dataclass(frozen=True)
class _Evidence:
    """What decided one candidate, for its reason and its calibrated confidence."""

    table: float  # the candidate's table score
    table_top: float  # the best table score for this name
    lead: float  # (this − best other) / this, on the combined score: > 0 only for the first
    vote_similarity: float  # similarity of the company's nearest coded name with this code (0: none)
    vote_share: float  # this code's share of the history votes
    agree: bool  # the table's first and the history's first are this code
    vote: object = None  # the HistoryVote for this code, if any

    def features(self) -> tuple[float, ...]:
        return (
            math.log1p(self.table),
            self.table / self.table_top if self.table_top else 0.0,
            self.lead,
            self.vote_similarity,
            self.vote_share,
            1.0 if self.agree else 0.0,
        )


# Logistic calibration of P(the candidate is the right code), fitted by ``python -m
# bench.calibrate`` on the dev half (leave-one-out history, every top-3 candidate); see its
# reliability table. Intercept first, then one weight per _Evidence.features().
CALIBRATION = (-3.018, 0.84, 0.444, 0.595, 0.313, 0.596, 0.143)


def calibrated(evidence: _Evidence) -> float:
    intercept, *weights = CALIBRATION
    return _sigmoid(intercept + sum(w * x for w, x in zip(weights, evidence.features(), strict=True)))


def _table_reason(code: str, why) -> str:
    info = _index().info[code]
    if code in why:
        piece, via, *kin = why[code]
        if kin and kin[0] != piece:  # placed by the thesaurus: say which table word it sits with
            return f"名称中的“{piece}”与“{kin[0]}”同类（同义词词林），匹配“{info.name}”"
        via = f"（即“{via}”）" if via else ""
        return f"名称包含“{piece}”{via}，匹配“{info.name}”"
    return f"名称与“{info.name}”的说明部分相近"


def _plain(rate: Decimal | None) -> Decimal | None:
    """0.090 (as stored) → 0.09, as rates are written everywhere else."""
    return None if rate is None else (rate.normalize() if rate else Decimal(0))


def _suggestion(code: str, reason: str, confidence: float, source: str, history=None) -> Suggestion:
    info = _index().info.get(code) or table.get_code(code)
    return Suggestion(
        rate=_plain(history.usual_rate(code)) if history is not None else None,
        code=code,
        name=info.name,
        short_name=table.short_name_of(code),
        rates=info.rates,
        confidence=round(min(1.0, max(0.0, confidence)), 2),
        reason=reason,
        source=source,
    )


def candidates(name: str, history: HistoryIndex | None = None, *, scored=None) -> list[tuple[str, float, _Evidence]]:
    """Every candidate code, best first, with its combined score and the evidence for it.

    Each candidate scores ``W_TABLE × table score / best table score`` (× (1 + FAMILY_BOOST)
    when the company already invoices codes of that short name) ``+ W_HISTORY × history
    vote`` (history.py). Without a history only the table counts.
    """
    scores, _why = scored or _score(name)
    top = max(scores.values(), default=0.0)
    ranked_table = sorted(scores.items(), key=lambda item: (-item[1], item[0]))
    has_history = history is not None and len(history) > 0
    votes = {v.code: v for v in history.votes(name) if table.get_code(v.code)} if has_history else {}
    families = history.families() if has_history else frozenset()
    combined: dict[str, float] = {}
    for code, value in ranked_table[:CANDIDATES]:
        combined[code] = W_TABLE * value / top
        if table.short_name_of(code) in families:
            combined[code] *= 1 + FAMILY_BOOST
    for code, vote in votes.items():
        combined[code] = combined.get(code, W_TABLE * scores.get(code, 0.0) / top if top else 0.0)
        combined[code] += W_HISTORY * vote.score
    ranked = sorted(combined.items(), key=lambda item: (-item[1], item[0]))
    total_votes = sum(v.score for v in votes.values()) or 1.0
    table_first = ranked_table[0][0] if ranked_table else None
    vote_first = min(votes.values(), key=lambda v: (-v.score, v.code)).code if votes else None
    result = []
    for position, (code, value) in enumerate(ranked):
        others = [v for i, (_c, v) in enumerate(ranked[:2]) if i != position]
        lead = (value - others[0]) / value if others and value > 0 else (1.0 if value > 0 else 0.0)
        vote = votes.get(code)
        evidence = _Evidence(
            table=scores.get(code, 0.0),
            table_top=top,
            lead=lead,
            vote_similarity=vote.similarity if vote else 0.0,
            vote_share=vote.score / total_votes if vote else 0.0,
            agree=code == table_first and (vote_first is None or code == vote_first) and bool(votes),
            vote=vote,
        )
        result.append((code, value, evidence))
    return result


def suggest_with_history(name: str, history: HistoryIndex | None, *, k: int = 3) -> list[Suggestion]:
    """Top-k codes from the official table and a company's history (no database).

    A name the history already has (same normalized name) gets that code first, outright; the
    rest come from ``candidates``. Each says why (the table phrase it matched, or the coded
    name it resembles) and how sure it is (``calibrated``, 0–1).
    """
    scored = _score(name)
    why = scored[1]
    suggestions: list[Suggestion] = []
    exact = history.exact(name) if history is not None and len(history) else None
    if exact is not None and table.get_code(exact.code):
        info = table.get_code(exact.code)
        reason = f"本公司已将“{exact.name}”开为“{info.name}”"
        suggestions.append(_suggestion(exact.code, reason, 0.95, "history", history))
    for code, _value, evidence in candidates(name, history, scored=scored):
        if len(suggestions) >= k:
            break
        if any(s.code == code for s in suggestions):
            continue
        confidence = calibrated(evidence)
        if evidence.vote_similarity and W_HISTORY * evidence.vote_share >= W_TABLE * (
            evidence.table / evidence.table_top if evidence.table_top else 0.0
        ):
            vote = evidence.vote
            info = table.get_code(code)
            reason = f"与本公司已开票商品“{vote.item.name}”相似（{vote.similarity:.0%}），开为“{info.name}”"
            suggestions.append(_suggestion(code, reason, min(confidence, 0.9), "history", history))
        else:
            suggestions.append(_suggestion(code, _table_reason(code, why), confidence, "matcher", history))
    return suggestions


def suggest_from_table(name: str, *, k: int = 3) -> list[Suggestion]:
    """Top-k usable codes for ``name`` from the official table alone (no database)."""
    return suggest_with_history(name, None, k=k)


def suggest(name: str, company=None, k: int = 3, *, history: HistoryIndex | None = None) -> list[Suggestion]:
    """Top-k suggestions for a product name.

    The company's remembered choice for the same normalized name comes first (source
    "memory"); then the official table combined with the company's history of coded products
    (its memory and catalogue; source "history" where that history decided). ``history`` may
    be given directly (e.g. a ``HistoryIndex`` built from a CSV, no database needed); without
    a company and a history only the table is used.
    """
    if history is None and company is not None:
        # Imported on use: the matcher and its table run without Django set up (bench.calibrate, scripts).
        from invoicing.taxcodes.history import company_history

        history = company_history(company)
    suggestions = suggest_with_history(name, history, k=k)
    if company is None:
        return suggestions
    # Imported on use: the matcher and its table run without Django set up (bench.calibrate, scripts).
    from invoicing.taxcodes.selectors import tax_code_memory_get

    memory = tax_code_memory_get(company=company, normalized_name=normalize_name(name))
    if memory is None:
        return suggestions
    code = memory.code
    remembered = Suggestion(
        code=code.code,
        name=code.name,
        short_name=code.short_name or table.short_name_of(code.code),
        rates=code.rate_decimals,
        confidence=1.0,
        reason=f"本公司曾将“{memory.product_name}”开为“{code.name}”（{memory.hits}次）",
        source="memory",
        rate=_plain(memory.rate if memory.rate is not None else (history.usual_rate(code.code) if history else None)),
    )
    return [remembered, *[s for s in suggestions if s.code != code.code]][:k]


def remember(company, name: str, code: str, rate=None):
    """Record an accepted suggestion or a correction, so that it wins next time.

    The company's cached history index notices the change by itself (history.py).
    """
    # Imported on use: the matcher and its table run without Django set up (bench.calibrate, scripts).
    from invoicing.taxcodes.services import tax_code_remember

    return tax_code_remember(company=company, product_name=name, code=code, rate=rate)
