"""Exactly once for people, and lock conflicts that heal themselves.

**Submission keys.** Every form that creates something carries a hidden, random submission key
(``SubmissionKeyMixin``). The created row stores it under a UNIQUE constraint, so a double
click, a reload of the POST or four tabs confirming at once create one row: the database lets
one insert through and makes the others wait for it, then fail with a unique violation that
``create_once`` turns into "here is the row the first one made". A cache key cannot do this
(check, create, set is a race; and Redis may be down).

**Lock order.** Services lock rows in one order: company → store → order → invoice → line →
refund / red-letter form, and never lock a related row by accident (``select_for_update``
with ``select_related`` locks every joined row unless ``of=("self",)``). A deadlock or a
serialization failure that still happens is retried a few times by ``retry_on_conflict``
instead of answering 500.
"""

from __future__ import annotations

import functools
import logging
import random
import time
import uuid
from collections.abc import Callable
from typing import TypeVar

from django import forms
from django.db import IntegrityError, OperationalError, connection, transaction

from stores.db import violated_constraint

logger = logging.getLogger(__name__)

T = TypeVar("T")

SUBMISSION_KEY_LENGTH = 40


def new_submission_key() -> str:
    return uuid.uuid4().hex


class SubmissionKeyMixin(forms.Form):
    """A hidden ``submission_key``, fresh on every unbound form, kept when the form is re-shown."""

    submission_key = forms.CharField(required=False, widget=forms.HiddenInput, max_length=SUBMISSION_KEY_LENGTH)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound and not self.initial.get("submission_key"):
            self.initial["submission_key"] = new_submission_key()

    def clean_submission_key(self) -> str | None:
        # Blank (an old page, a script) means "no protection asked for": stored as NULL, never unique.
        return (self.cleaned_data.get("submission_key") or "").strip() or None


def create_once(*, key: str | None, find: Callable[[], T | None], create: Callable[[], T | None],
                constraint: str) -> tuple[T, bool]:
    """``(row, created)``: the row made for submission ``key``, creating it only if none exists.

    ``find`` looks the row up by key; ``create`` writes it (with the key) in its own transaction,
    or returns None when it saw, under a lock it took first, that the key was used meanwhile;
    ``constraint`` is the UNIQUE constraint on the key, the only violation taken as "already made".
    Without a key it simply creates.
    """
    if not key:
        return create(), True
    found = find()
    if found is not None:
        return found, False
    try:
        with transaction.atomic():
            made = create()
    except IntegrityError as error:
        if violated_constraint(error) != constraint:
            raise
    else:
        if made is not None:
            return made, True
    found = find()
    if found is None:  # the winner rolled back after we collided: nothing was made, so make it
        return create(), True
    return found, False


# --- lock conflicts ---------------------------------------------------------------------------------

CONFLICT_SQLSTATES = {"40P01", "40001"}  # deadlock_detected, serialization_failure
CONFLICT_ATTEMPTS = 4


def is_lock_conflict(error: BaseException) -> bool:
    cause = getattr(error, "__cause__", None)
    return getattr(cause, "sqlstate", None) in CONFLICT_SQLSTATES


def retry_on_conflict(fn: Callable[..., T]) -> Callable[..., T]:
    """Run ``fn`` (an outermost transaction) again when PostgreSQL aborted it for a deadlock or a
    serialization failure: a bounded number of times, with a short random pause."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        for attempt in range(1, CONFLICT_ATTEMPTS + 1):
            try:
                return fn(*args, **kwargs)
            except OperationalError as error:
                # Inside an outer transaction the whole of it was aborted: only its owner can retry.
                if not is_lock_conflict(error) or attempt == CONFLICT_ATTEMPTS or connection.in_atomic_block:
                    raise
                logger.warning("%s: lock conflict (%s), attempt %s of %s", fn.__qualname__,
                               error.__cause__.sqlstate, attempt, CONFLICT_ATTEMPTS)
                time.sleep(random.uniform(0.01, 0.05) * attempt)  # noqa: S311 - jitter, not a secret
        raise AssertionError("unreachable")

    return wrapper
