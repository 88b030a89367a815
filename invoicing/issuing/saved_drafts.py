"""Saved drafts of the manual issue form (草稿): save as typed, list, reopen, remove.

The form's values are kept as typed (nothing checked, the clerk may stop half-way); reopening
turns them back into the form's starting values, and issuing goes through every check anew.
"""

from __future__ import annotations

import re

from django.db import transaction
from django.shortcuts import get_object_or_404

from invoicing.models import IssueDraft

_LINE_FIELD = re.compile(r"^lines-(\d+)-([a-z_]+)$")
_SKIPPED = {"csrfmiddlewaretoken", "step", "submission_key", "saved_draft"}
_LINE_FIELDS = ("product", "name", "tax_code", "rate", "preferential", "spec", "unit", "quantity", "price",
                "amount", "discount")
_FILLED = ("name", "tax_code", "quantity", "price", "amount")


MAX_ID = 2**63 - 1  # a bigint: a longer number in a URL or form is not a row, and must not reach the database


def row_id(text) -> int | None:
    """The id typed in a URL or posted by a form, or None when it cannot be one."""
    text = str(text or "")
    return int(text) if text.isdigit() and int(text) <= MAX_ID else None


def issue_drafts_for(*, user):
    return IssueDraft.objects.for_user(user).select_related("store", "created_by")


def issue_draft_get(*, user, draft_id: int) -> IssueDraft:
    """A draft of a store the user may see, else 404."""
    return get_object_or_404(issue_drafts_for(user=user), pk=draft_id)


def _form_values(post) -> dict:
    header, lines = {}, {}
    for name in post:
        if name in _SKIPPED or name.startswith("lines-") and not _LINE_FIELD.match(name):
            continue
        match = _LINE_FIELD.match(name)
        if match and match.group(2) in _LINE_FIELDS:
            lines.setdefault(int(match.group(1)), {})[match.group(2)] = post.get(name, "")[:200]
        elif not match:
            header[name] = post.get(name, "")[:500]
    rows = [lines[i] for i in sorted(lines) if any((lines[i].get(f) or "").strip() for f in _FILLED)]
    return {"header": header, "lines": rows}


@transaction.atomic
def issue_draft_save(*, user, store, post, draft: IssueDraft | None = None) -> IssueDraft:
    """Keep the form as typed (a new draft, or over the one it was reopened from)."""
    values = _form_values(post)
    draft = draft or IssueDraft(created_by=user)
    draft.company_id, draft.store = store.company_id, store
    draft.buyer_name = (values["header"].get("buyer_name") or "").strip()[:200]
    draft.line_count = len(values["lines"])
    draft.data = values
    draft.save()
    return draft


def issue_draft_delete(*, draft: IssueDraft) -> None:
    IssueDraft.objects.filter(pk=draft.pk).delete()


def issue_draft_initial(draft: IssueDraft) -> tuple[dict, list[dict]]:
    """The form's starting values from a draft: its header, its lines, and which draft it is."""
    header = dict(draft.data.get("header") or {})
    header["store"] = draft.store_id
    header["saved_draft"] = draft.pk
    return header, [dict(row) for row in draft.data.get("lines") or []]
