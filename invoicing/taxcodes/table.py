"""The official tax classification code table and the project's allowed rates per code family.

Both live as CSV in ``invoicing/data/`` (the product must not depend on ``/work/shared``) and are
read once per process. Codes are 19 digits: one category digit, then 2-digit groups, padded with
zeros; a code's parent is the code with its last non-zero group zeroed. A *summary code* (汇总项)
is one that has a descendant in the table; summary codes may not be used on an invoice line.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
CODES_CSV = DATA_DIR / "tax_classification_codes.csv"
RATE_FAMILIES_CSV = DATA_DIR / "tax_rate_families.csv"
CODE_LENGTH = 19


@dataclass(frozen=True)
class CodeInfo:
    code: str
    name: str
    short_name: str
    description: str
    is_summary: bool
    rates: tuple[Decimal, ...]
    preferential: tuple[str, ...]


@dataclass(frozen=True)
class RateFamily:
    code_prefix: str
    rates: tuple[Decimal, ...]
    preferential: tuple[str, ...]
    label: str
    source: str


def code_stem(code: str) -> str:
    """The significant part of a code: the category digit plus its non-zero 2-digit groups."""
    body = code[1:]
    groups = [body[i : i + 2] for i in range(0, len(body), 2)]
    while groups and groups[-1] == "00":
        groups.pop()
    return code[0] + "".join(groups)


def parent_code(code: str) -> str | None:
    """The code one level up (``None`` for a category such as 1000000000000000000)."""
    stem = code_stem(code)
    if len(stem) <= 1:
        return None
    return stem[:-2].ljust(CODE_LENGTH, "0")


def _split(value: str) -> list[str]:
    return [part.strip() for part in (value or "").split("|") if part.strip()]


@cache
def rate_families() -> tuple[RateFamily, ...]:
    """The rows of tax_rate_families.csv, longest prefix first (so the first match wins)."""
    with RATE_FAMILIES_CSV.open(encoding="utf-8") as handle:
        rows = [
            RateFamily(
                code_prefix=row["code_prefix"].strip(),
                rates=tuple(Decimal(rate) for rate in _split(row["rates"])),
                preferential=tuple(_split(row["preferential"])),
                label=row["label"],
                source=row["source"],
            )
            for row in csv.DictReader(handle)
        ]
    return tuple(sorted(rows, key=lambda family: -len(family.code_prefix)))


def rate_family(code: str) -> RateFamily | None:
    """The family whose prefix is the longest one matching ``code``."""
    for family in rate_families():
        if code.startswith(family.code_prefix):
            return family
    return None


@cache
def _table() -> dict[str, CodeInfo]:
    with CODES_CSV.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    stems = {code_stem(row["code"]) for row in rows}
    # Every proper prefix (at a group boundary) of a stem is an ancestor; the data has no gaps
    # in the hierarchy, so "has a descendant" is "is the parent of some stem".
    parents = {stem[:-2] for stem in stems if len(stem) > 1}
    table = {}
    for row in rows:
        code = row["code"]
        family = rate_family(code)
        table[code] = CodeInfo(
            code=code,
            name=row["name"],
            short_name=row["short_name"],
            description=row["description"],
            is_summary=code_stem(code) in parents,
            rates=family.rates if family else (),
            preferential=family.preferential if family else (),
        )
    return table


def all_codes() -> list[CodeInfo]:
    return list(_table().values())


def get_code(code: str) -> CodeInfo | None:
    return _table().get(code)


def is_usable(code: str) -> bool:
    """In the table and not a summary code."""
    info = get_code(code)
    return info is not None and not info.is_summary


def allowed_rates(code: str) -> list[Decimal]:
    info = get_code(code)
    return list(info.rates) if info else []


def allowed_preferential(code: str) -> list[str]:
    """Preferential-policy flags (yhzcbs, e.g. ``03`` 免税, ``04`` 不征税) the code's family allows."""
    info = get_code(code)
    return list(info.preferential) if info else []


def short_name_of(code: str) -> str:
    """The code's short name; a few codes have none, so fall back to the nearest ancestor's."""
    current: str | None = code
    while current:
        info = get_code(current)
        if info and info.short_name:
            return info.short_name
        current = parent_code(current)
    info = get_code(code)
    return info.name if info else ""


def display_name(code: str, item_name: str) -> str:
    """The line's 货物或应税劳务、服务名称: ``*short name*item name`` (e.g. ``*水果*红富士苹果``)."""
    return f"*{short_name_of(code)}*{item_name}"
