"""The tax-code reference data, read once: the one loader shared by the client and the sandbox.

The official tax classification code table and the project's allowed rates per code family
live as CSV in ``invoicing/data/`` and nowhere else: nothing here reads outside the repository,
and a missing or broken file fails loudly at first use. The client (``invoicing.taxcodes.table``)
and the sandbox (``sandbox.rules``, ``sandbox.services.info``) both read these facts from here, so
that the two parties can never disagree about what the table *says* — STYLE.md habit 12 lets them
share the data, while each keeps its own code for the *rules* built on it.

Codes are 19 digits: one category digit, then 2-digit groups, padded with zeros; a code's parent
is the code with its last non-zero group zeroed. A *summary code* (汇总项) is one that has a
descendant in the table.
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
    short_name: str  # as the table gives it; a few codes have none, see short_name_of
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
def codes() -> dict[str, CodeInfo]:
    """Every code of the table by its 19 digits (the dict is shared: do not change it)."""
    with CODES_CSV.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    stems = {code_stem(row["code"]) for row in rows}
    # Every proper prefix (at a group boundary) of a stem is an ancestor; the data has no gaps
    # in the hierarchy (tests check every code's parent is in the table), so "has a descendant"
    # is "is the parent of some stem".
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


def get_code(code: str) -> CodeInfo | None:
    return codes().get(code)


def short_name_of(code: str) -> str:
    """The code's short name (税收分类简称); a few codes have none, so the nearest ancestor's.

    The official table gives short names per family (3040102000000000000 技术咨询服务 is
    ``研发和技术服务``, like its parent); the ten codes our copy leaves blank inherit it.
    """
    current: str | None = code
    while current:
        info = get_code(current)
        if info and info.short_name:
            return info.short_name
        current = parent_code(current)
    info = get_code(code)
    return info.name if info else ""


@cache
def codes_by_short_name() -> dict[str, frozenset[str]]:
    """The codes of each short name as ``short_name_of`` gives it: the dashboard's categories, reversed."""
    found: dict[str, set[str]] = {}
    for code in codes():
        found.setdefault(short_name_of(code), set()).add(code)
    return {name: frozenset(members) for name, members in found.items() if name}
