"""A company's own coding history as a fuzzy index: "we coded 蛋奶液 as 液体乳, so 焦糖布丁蛋奶液 too".

Stores follow their own conventions that the official table cannot explain (淡奶油 under
食用植物油脂, a wine list under 餐饮服务). What the company already coded — its remembered
choices (TaxCodeMatchMemory) and its catalogue (Product) — is the best evidence for a new name
that resembles an old one. ``HistoryIndex`` is plain Python (no database), so the benchmark can
build one from a labelled CSV; ``company_history`` builds and caches one per company from the
database and rebuilds it when the company's rows change.

Similarity of a new name to a coded one:

* TF-IDF cosine over character 1-, 2- and 3-grams of the normalized names (normalize.py drops
  promotions, brands, sizes), with grams of the *head* (the end of the product words, where a
  Chinese product name puts its noun: 焦糖布丁**蛋奶液**) weighted up;
* a bonus when one name ends with the other (the old product is the new one's head noun) or
  when both share a head of two or more characters.

The k nearest coded names vote for their codes, weighted by similarity (and, a little, by how
often the code was accepted).
"""

from __future__ import annotations

import math
import threading
from collections import Counter, OrderedDict, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from invoicing.taxcodes.normalize import history_words, normalize_name

# Tuned on the dev half of the labelled examples (leave-one-out), never on the test half.
GRAM_WEIGHTS = {1: 0.25, 2: 1.0, 3: 1.3}
HEAD_GRAM_BOOST = 1.8  # grams inside the last HEAD_SPAN characters of the first product word
HEAD_SPAN = 3
SUFFIX_BONUS = 0.35  # one normalized name ends with the other (≥ 2 characters)
SHARED_HEAD_BONUS = 0.15  # same last two characters
NEIGHBOURS = 6
MIN_SIMILARITY = 0.2
LATIN_WEIGHT = 1.0  # a Latin word (PET, LED) as one gram


@dataclass(frozen=True)
class HistoryItem:
    name: str  # as the company wrote it, for the reason shown to the clerk
    key: str  # normalize_name(name)
    code: str
    hits: int = 1
    origin: str = "history"  # "memory" (accepted/corrected), "catalogue" (Product) or "history"
    rate: Decimal | None = None  # the rate the company invoiced it at, when known


@dataclass(frozen=True)
class HistoryVote:
    code: str
    score: float  # sum of neighbour weights, 0–(about)1.5
    similarity: float  # of the nearest coded name with this code, 0–1
    item: HistoryItem  # that nearest name


def _words(name: str) -> list[str]:
    return history_words(name)[0]


def head_noun(name: str) -> str:
    """The product's head noun, roughly: the last characters of its first product word.

    Shop titles put the product first and variants after a slash or space ("衣架/附层板/BC",
    "台灯灯罩/椭圆/褶皱型"); within a Chinese word the noun comes last (焦糖布丁蛋奶液).
    """
    words = _words(name)
    return words[0][-HEAD_SPAN:] if words else ""


def _grams(name: str) -> dict[str, float]:
    """Weighted character n-grams of a name's product words (not across words)."""
    words, latin = history_words(name)
    grams: dict[str, float] = defaultdict(float)
    for word in latin:
        grams["#" + word] += LATIN_WEIGHT
    for index, word in enumerate(words):
        factor = 1.0 if index == 0 else 0.6
        n = len(word)
        for size, weight in GRAM_WEIGHTS.items():
            for start in range(0, n - size + 1):
                value = weight * factor
                if index == 0 and start + size > n - HEAD_SPAN:
                    value *= HEAD_GRAM_BOOST
                grams[word[start : start + size]] += value
    return grams


def _common_suffix(a: str, b: str) -> int:
    n = 0
    for x, y in zip(reversed(a), reversed(b), strict=False):
        if x != y:
            break
        n += 1
    return n


class HistoryIndex:
    """Coded names of one company, searchable by similarity. Later items win on equal keys."""

    def __init__(self, items: Iterable[HistoryItem | tuple[str, str]] = ()) -> None:
        by_key: dict[str, HistoryItem] = {}
        for item in items:
            if not isinstance(item, HistoryItem):
                name, code = item
                item = HistoryItem(name=name, key=normalize_name(name), code=code)
            if item.key and item.code:
                by_key[item.key] = item
        self.items: list[HistoryItem] = list(by_key.values())
        self.by_key = by_key
        self._families: frozenset[str] | None = None
        self._rates: dict[str, Decimal] | None = None
        vectors = [_grams(item.name) or {item.key: 1.0} for item in self.items]
        df: dict[str, int] = defaultdict(int)
        for vector in vectors:
            for gram in vector:
                df[gram] += 1
        n = len(self.items)
        self.idf = {gram: math.log((n + 1) / (count + 0.5)) + 1.0 for gram, count in df.items()}
        self.postings: dict[str, list[tuple[int, float]]] = defaultdict(list)
        self.heads = [head_noun(item.name) for item in self.items]
        for position, vector in enumerate(vectors):
            weighted = {g: w * self.idf[g] for g, w in vector.items()}
            norm = math.sqrt(sum(w * w for w in weighted.values())) or 1.0
            for gram, weight in weighted.items():
                self.postings[gram].append((position, weight / norm))

    def __len__(self) -> int:
        return len(self.items)

    def usual_rate(self, code: str) -> Decimal | None:
        """The rate this company most often invoices ``code`` at (None: it never said)."""
        if self._rates is None:
            counts: dict[str, Counter] = defaultdict(Counter)
            for item in self.items:
                if item.rate is not None:
                    counts[item.code][item.rate] += item.hits
            self._rates = {c: min(n.items(), key=lambda pair: (-pair[1], pair[0]))[0] for c, n in counts.items()}
        return self._rates.get(code)

    def families(self) -> frozenset[str]:
        """The short names (简称) of the codes this company has used: what kind of shop it is."""
        if self._families is None:
            # Imported on use: the matcher and its table run without Django set up (bench.calibrate, scripts).
            from invoicing.taxcodes import table

            self._families = frozenset(table.short_name_of(item.code) for item in self.items)
        return self._families

    def exact(self, name: str) -> HistoryItem | None:
        return self.by_key.get(normalize_name(name))

    def neighbours(self, name: str, k: int = NEIGHBOURS) -> list[tuple[HistoryItem, float]]:
        """The ``k`` coded names most similar to ``name``, with a similarity in 0–1."""
        if not self.items:
            return []
        vector = _grams(name)
        weighted = {g: w * self.idf.get(g, 0.0) for g, w in vector.items()}
        norm = math.sqrt(sum(w * w for w in weighted.values())) or 1.0
        scores: dict[int, float] = defaultdict(float)
        for gram, weight in weighted.items():
            if weight:
                for position, value in self.postings.get(gram, ()):
                    scores[position] += weight / norm * value
        key = normalize_name(name)
        head = head_noun(name)
        ranked = []
        for position, score in scores.items():
            item = self.items[position]
            suffix = _common_suffix(key, item.key)
            if suffix >= 2 and suffix >= min(len(key), len(item.key)):
                score += SUFFIX_BONUS
            elif head and len(head) >= 2 and self.heads[position][-2:] == head[-2:]:
                score += SHARED_HEAD_BONUS
            ranked.append((item, min(score, 1.0)))
        ranked.sort(key=lambda pair: (-pair[1], pair[0].key))
        return [pair for pair in ranked[:k] if pair[1] >= MIN_SIMILARITY]

    def votes(self, name: str, k: int = NEIGHBOURS) -> list[HistoryVote]:
        """Codes the nearest coded names vote for, best first."""
        totals: dict[str, float] = defaultdict(float)
        best: dict[str, tuple[float, HistoryItem]] = {}
        for item, similarity in self.neighbours(name, k):
            weight = similarity**2 * (1 + 0.1 * math.log(item.hits))
            totals[item.code] += weight
            if item.code not in best or similarity > best[item.code][0]:
                best[item.code] = (similarity, item)
        votes = [HistoryVote(code, total, *best[code]) for code, total in totals.items()]
        votes.sort(key=lambda vote: (-vote.score, vote.code))
        return votes


# --- per-company index from the database, cached per process --------------------------------

_CACHE_SIZE = 64
_cache: OrderedDict[object, tuple[tuple, HistoryIndex]] = OrderedDict()
_cache_lock = threading.Lock()


def _signature(company) -> tuple:
    """Changes whenever the company's memory or catalogue rows are added, changed or deleted."""
    from django.db.models import Count, Max

    # Imported on use: the matcher and its table run without Django set up (bench.calibrate, scripts).
    from invoicing.models import Product, TaxCodeMatchMemory

    memory = TaxCodeMatchMemory.objects.for_company(company).aggregate(
        n=Count("id"), last=Max("last_used"), top=Max("id")
    )
    products = Product.objects.filter(company=company).aggregate(n=Count("id"), last=Max("updated_at"), top=Max("id"))
    return (memory["n"], memory["last"], memory["top"], products["n"], products["last"], products["top"])


def _load(company) -> HistoryIndex:
    # Imported here, not at the top: bench.match builds a HistoryIndex without Django set up.
    # Imported on use: the matcher and its table run without Django set up (bench.calibrate, scripts).
    from invoicing.models import Product, TaxCodeMatchMemory

    items: list[HistoryItem] = []
    rows = Product.objects.filter(company=company).exclude(tax_code="").order_by("updated_at", "id")
    for name, code, rate in rows.values_list("name", "tax_code", "rate"):
        key = normalize_name(name)
        items.append(HistoryItem(name=name, key=key, code=code, origin="catalogue", rate=rate))
    # Memory last: an accepted or corrected choice overrides the catalogue for the same name.
    memories = TaxCodeMatchMemory.objects.for_company(company).order_by("last_used", "id")
    rows = memories.values_list("normalized_name", "product_name", "code_id", "hits", "rate")
    for key, name, code, hits, rate in rows:
        items.append(HistoryItem(name=name or key, key=key, code=code, hits=hits, origin="memory", rate=rate))
    return HistoryIndex(items)


def company_history(company) -> HistoryIndex:
    """The company's history index, rebuilt only when its rows changed (two aggregate queries)."""
    signature = _signature(company)
    company_id = getattr(company, "pk", company)
    with _cache_lock:
        cached = _cache.get(company_id)
        if cached and cached[0] == signature:
            _cache.move_to_end(company_id)
            return cached[1]
    index = _load(company)
    with _cache_lock:
        _cache[company_id] = (signature, index)
        _cache.move_to_end(company_id)
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return index


def forget_cached(company=None) -> None:
    """Drop the cached index of one company (or all), e.g. in tests."""
    with _cache_lock:
        if company is None:
            _cache.clear()
        else:
            _cache.pop(getattr(company, "pk", company), None)
