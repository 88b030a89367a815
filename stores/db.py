"""Which constraint a write broke: a race on a unique key becomes the Chinese message of its check.

The checks before a save (``full_clean``, "已被使用") cannot see a row a concurrent request is
inserting at the same moment (a double click); the database's UNIQUE constraint does. These turn
its violation into the same answer the check gives, instead of a 500.
"""

from __future__ import annotations

from contextlib import contextmanager

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction


def violated_constraint(error: IntegrityError) -> str:
    """The name of the constraint PostgreSQL reported, or "" when it is not a constraint violation."""
    diag = getattr(error.__cause__, "diag", None)
    return getattr(diag, "constraint_name", "") or ""


@contextmanager
def unique_refused_as(constraint: str, errors: dict[str, str]):
    """Run the write in a savepoint; a violation of ``constraint`` raises ValidationError(``errors``)."""
    try:
        with transaction.atomic():
            yield
    except IntegrityError as error:
        if violated_constraint(error) != constraint:
            raise
        raise ValidationError(errors) from error
