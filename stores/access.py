"""Authorisation helpers: which roles a user holds where, and whether a permission applies.

Row visibility is decided by each model's ``for_user`` queryset method; this module answers
"may this user do X (in this store)?" from the matrix in stores.roles.
"""

from __future__ import annotations

from functools import cached_property

from django.http import Http404

from stores.models import Membership
from stores.roles import HQ_ROLES, PERMISSIONS, Role


class Access:
    def __init__(self, user):
        self.user = user

    @cached_property
    def memberships(self) -> list[Membership]:
        if not self.user.is_authenticated:
            return []
        return list(Membership.objects.filter(user=self.user).select_related("company", "store"))

    @property
    def roles(self) -> set[str]:
        if self.user.is_authenticated and self.user.is_superuser:
            return set(Role)
        return {m.role for m in self.memberships}

    @property
    def is_hq(self) -> bool:
        return bool(self.roles & HQ_ROLES)

    def can(self, perm: str, store=None) -> bool:
        """True when one of the user's roles holds ``perm`` (for ``store`` when given)."""
        allowed = PERMISSIONS[perm]
        if not self.user.is_authenticated:
            return False
        if self.user.is_superuser:
            return True
        for m in self.memberships:
            if m.role not in allowed:
                continue
            if store is None:
                return True
            if m.role in HQ_ROLES and m.company_id == store.company_id:
                return True
            if m.store_id == store.pk:
                return True
        return False

    def companies(self):
        seen = {}
        for m in self.memberships:
            seen.setdefault(m.company_id, m.company)
        return list(seen.values())

    def require(self, perm: str, store=None) -> None:
        """Refuse with 404, never 403: a row the user may not act on is one they do not see."""
        if not self.can(perm, store):
            raise Http404


def access_for(request) -> Access:
    if not hasattr(request, "_kaipiao_access"):
        request._kaipiao_access = Access(request.user)
    return request._kaipiao_access
