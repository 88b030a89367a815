"""The official tax classification code table and the project's allowed rates per code family.

Both live as CSV in ``invoicing/data/`` and are read once per process by
``invoicing.taxcodes.reference``, the loader the sandbox shares. Codes are 19 digits: one category digit, then 2-digit groups, padded with
zeros; a code's parent is the code with its last non-zero group zeroed. A *summary code* (汇总项)
is one that has a descendant in the table; summary codes may not be used on an invoice line.
"""

from __future__ import annotations

from decimal import Decimal

# The data itself is read by the one loader the sandbox shares; this module keeps the client's
# questions about it (usable? which rates? the line's display name?).
from invoicing.taxcodes.reference import (  # noqa: F401  (re-exported: callers use table.X)
    CODE_LENGTH,
    CODES_CSV,
    DATA_DIR,
    RATE_FAMILIES_CSV,
    CodeInfo,
    RateFamily,
    code_stem,
    get_code,
    parent_code,
    rate_families,
    rate_family,
    short_name_of,
)
from invoicing.taxcodes.reference import codes as _table


def all_codes() -> list[CodeInfo]:
    return list(_table().values())


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


def display_name(code: str, item_name: str) -> str:
    """The line's 货物或应税劳务、服务名称: ``*short name*item name`` (e.g. ``*水果*红富士苹果``)."""
    return f"*{short_name_of(code)}*{item_name}"
