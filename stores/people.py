"""How a person is named on screens and in documents: Chinese names family name first, no space."""

from __future__ import annotations

import re

_CJK = re.compile(r"[\u3400-\u9fff]")


def person_name(user) -> str:
    """``王芳`` for family 王 and given 芳, ``Ann Lee`` for Latin names; the username when there is none."""
    if user is None:
        return ""
    family, given = (user.last_name or "").strip(), (user.first_name or "").strip()
    if _CJK.search(family + given):
        name = family + given
    else:
        name = " ".join(part for part in (given, family) if part)
    return name or user.get_username()
