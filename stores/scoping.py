"""The one place that decides which rows a user may see.

Every tenant model's ``objects.for_user(user)`` goes through one of these: rows of the stores
the user may see (HQ roles: every store of their company; store roles: their own store), or
rows of the companies where the user holds one of the given roles. Anonymous users see
nothing, superusers (operators) everything. A row outside the scope answers 404 in views.
"""

from __future__ import annotations

from django.contrib.admin import RelatedOnlyFieldListFilter
from django.db import models
from django.db.models.constants import LOOKUP_SEP

from stores.models import Membership, Store


def scope_by_store(queryset, user, *, store_field: str = "store"):
    """Rows whose ``store_field`` is a store the user may see."""
    if not user.is_authenticated:
        return queryset.none()
    if user.is_superuser:
        return queryset
    return queryset.filter(**{f"{store_field}__in": Store.objects.for_user(user).values("id")})


def scope_by_company(queryset, user, *, roles=None, company_field: str = "company"):
    """Rows of the companies where the user holds a membership (one of ``roles`` when given)."""
    if not user.is_authenticated:
        return queryset.none()
    if user.is_superuser:
        return queryset
    memberships = Membership.objects.filter(user=user)
    if roles is not None:
        memberships = memberships.filter(role__in=list(roles))
    return queryset.filter(**{f"{company_field}__in": memberships.values("company_id")})


class StoreScopedQuerySet(models.QuerySet):
    def for_user(self, user):
        return scope_by_store(self, user)


class ScopedAdminMixin:
    """Django admin through the same scoping: staff who are not superusers (a company's HQ admin)
    see only their own rows, and models without tenant scoping (the sandbox, code tables' internals)
    only superusers see at all."""

    def _scoped(self) -> bool:
        return hasattr(self.model._default_manager.get_queryset(), "for_user")

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return queryset.for_user(request.user) if self._scoped() else queryset.none()

    def get_list_filter(self, request):
        # Django's filter for a relation lists every row of the related table: the sidebar named
        # every other company and store, ids included (issue 13, row 10). Listing only the
        # related rows the (scoped) changelist itself references shows nothing it does not.
        filters = []
        for entry in super().get_list_filter(request):
            if isinstance(entry, str) and self._is_relation(entry):
                entry = (entry, RelatedOnlyFieldListFilter)
            filters.append(entry)
        return filters

    def _is_relation(self, path: str) -> bool:
        model = self.model
        for name in path.split(LOOKUP_SEP):
            field = model._meta.get_field(name)
            if not field.is_relation:
                return False
            model = field.related_model
        return True

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        # The add/change forms' dropdowns likewise offer only rows the user may see.
        scoped = self._scoped_choices(db_field, request)
        if scoped is not None:
            kwargs["queryset"] = scoped
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def _scoped_choices(self, db_field, request):
        if request.user.is_superuser:
            return None
        queryset = db_field.related_model._default_manager.get_queryset()
        return queryset.for_user(request.user) if hasattr(queryset, "for_user") else None

    def has_view_permission(self, request, obj=None):
        if not request.user.is_superuser and not self._scoped():
            return False
        return super().has_view_permission(request, obj)

    def has_module_permission(self, request):
        if not request.user.is_superuser and not self._scoped():
            return False
        return super().has_module_permission(request)
