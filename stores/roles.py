"""Roles and the permission matrix (docs/permissions.md describes it; tests enforce it)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    HQ_ADMIN = "hq_admin", _("总部管理员")
    HQ_FINANCE = "hq_finance", _("总部财务")
    STORE_MANAGER = "store_manager", _("门店店长")
    STORE_CLERK = "store_clerk", _("门店开票员")


HQ_ROLES = frozenset({Role.HQ_ADMIN, Role.HQ_FINANCE})
STORE_ROLES = frozenset({Role.STORE_MANAGER, Role.STORE_CLERK})

ALL = frozenset(Role)

# permission -> roles that hold it. A store role holds it only for its own store.
PERMISSIONS: dict[str, frozenset[str]] = {
    "invoice.view": ALL,
    "invoice.issue": ALL - {Role.HQ_FINANCE},
    "invoice.resend": ALL,
    "invoice.cancel": ALL - {Role.HQ_FINANCE},
    "invoice.reverse_request": ALL,
    "invoice.reverse_approve": frozenset({Role.HQ_ADMIN, Role.HQ_FINANCE, Role.STORE_MANAGER}),
    "invoice.batch_reverse": HQ_ROLES,
    "invoice.export": ALL,
    "exchange.view": frozenset({Role.HQ_ADMIN, Role.HQ_FINANCE, Role.STORE_MANAGER}),
    "dashboard.view": HQ_ROLES,
    "summary.confirm": HQ_ROLES,
    "store.figures": ALL - {Role.STORE_CLERK},
    "audit.view": HQ_ROLES,
    "report.export": HQ_ROLES,
    "catalogue.view": ALL,
    "catalogue.manage": frozenset({Role.HQ_ADMIN, Role.STORE_MANAGER}),
    "settings.manage": frozenset({Role.HQ_ADMIN}),
    "jobs.monitor": HQ_ROLES,
}
