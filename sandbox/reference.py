"""Reference data the sandbox shares with the product: the tax classification code table.

Read from ``invoicing/data/`` (the repository's copy). Until that copy exists the code table is
read from the design notes' ``../shared/data`` and the rate families fall back to the built-in
list below. Loaded once per process.
"""

from __future__ import annotations

import csv
import threading
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from django.conf import settings

CODES_FILE = "tax_classification_codes.csv"
RATE_FAMILIES_FILE = "tax_rate_families.csv"

# (code_prefix, rates, preferential flags) — used only while invoicing/data has no rate file.
# Longest matching prefix wins, as in the data file.
BUILTIN_RATE_FAMILIES = [
    ("1", "0.13|0.09|0.03|0.01|0.00", "03|04"),
    ("101", "0.09|0.03|0.01|0.00", "03|04"),
    ("2", "0.13|0.03|0.01", "03"),
    ("3", "0.06|0.03|0.01|0.00", "03|04"),
    ("301", "0.09|0.03|0.01|0.00", "03"),
    ("302", "0.09|0.03", "03"),
    ("303", "0.09|0.06|0.03", "03"),
    ("305", "0.09|0.03|0.01", "03"),
    ("4", "0.06|0.09|0.13|0.03|0.00", "03"),
    ("5", "0.09|0.05|0.03", "03"),
    ("6", "0.00", "04"),
]


@dataclass(frozen=True)
class TaxCode:
    code: str
    name: str
    short_name: str
    description: str
    is_summary: bool
    rates: frozenset[Decimal]
    preferential: frozenset[str]


_lock = threading.Lock()
_table: dict[str, TaxCode] | None = None


def data_dirs() -> list[Path]:
    base = Path(settings.BASE_DIR)
    dirs = [Path(getattr(settings, "SANDBOX_REFERENCE_DIR", base / "invoicing" / "data"))]
    fallback = getattr(settings, "SANDBOX_REFERENCE_FALLBACK_DIR", base.parent / "shared" / "data")
    if fallback:
        dirs.append(Path(fallback))
    return dirs


def _find(name: str) -> Path | None:
    for directory in data_dirs():
        if (directory / name).is_file():
            return directory / name
    return None


def level_prefix(code: str) -> str:
    """The significant part of a code: one digit, then two per level, trailing zero groups dropped."""
    for length in range(1, 19, 2):
        if set(code[length:]) <= {"0"}:
            return code[:length]
    return code


def _rate_families() -> list[tuple[str, frozenset[Decimal], frozenset[str]]]:
    path = data_dirs()[0] / RATE_FAMILIES_FILE
    rows: list[tuple[str, str, str]] = []
    if path.is_file():
        with path.open(encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                rows.append(((row.get("code_prefix") or "").strip(), row.get("rates") or "", row.get("preferential") or ""))
    else:
        rows = BUILTIN_RATE_FAMILIES
    families = []
    for prefix, rates, preferential in rows:
        if not prefix:
            continue
        families.append(
            (
                prefix,
                frozenset(Decimal(r.strip()) for r in rates.split("|") if r.strip()),
                frozenset(p.strip() for p in preferential.split("|") if p.strip()),
            )
        )
    families.sort(key=lambda family: len(family[0]), reverse=True)
    return families


def _load() -> dict[str, TaxCode]:
    path = _find(CODES_FILE)
    if path is None:
        raise RuntimeError(f"税收分类编码表缺失：{CODES_FILE}（在 {', '.join(map(str, data_dirs()))} 中均未找到）")
    with path.open(encoding="utf-8") as handle:
        raw = [row for row in csv.DictReader(handle) if (row.get("code") or "").strip()]
    prefixes = {row["code"].strip(): level_prefix(row["code"].strip()) for row in raw}
    all_prefixes = sorted(prefixes.values())
    families = _rate_families()
    table: dict[str, TaxCode] = {}
    for row in raw:
        code = row["code"].strip()
        prefix = prefixes[code]
        has_children = any(other != prefix and other.startswith(prefix) for other in _neighbours(all_prefixes, prefix))
        rates: frozenset[Decimal] = frozenset()
        preferential: frozenset[str] = frozenset()
        for family_prefix, family_rates, family_preferential in families:
            if code.startswith(family_prefix):
                rates, preferential = family_rates, family_preferential
                break
        table[code] = TaxCode(
            code=code,
            name=row.get("name", "").strip(),
            short_name=(row.get("short_name") or "").strip() or row.get("name", "").strip(),
            description=(row.get("description") or "").strip(),
            is_summary=has_children,
            rates=rates,
            preferential=preferential,
        )
    return table


def _neighbours(sorted_prefixes: list[str], prefix: str) -> list[str]:
    """The prefixes right after ``prefix`` in sort order: children, if any, come first."""
    import bisect

    index = bisect.bisect_right(sorted_prefixes, prefix)
    return sorted_prefixes[index : index + 1]


def tax_codes() -> dict[str, TaxCode]:
    global _table
    if _table is None:
        with _lock:
            if _table is None:
                _table = _load()
    return _table


def tax_code(code: str) -> TaxCode | None:
    return tax_codes().get(code)


def reset_cache() -> None:
    global _table
    with _lock:
        _table = None
