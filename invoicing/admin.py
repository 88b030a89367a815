"""Admin for the invoicing models: read-only, secrets never shown.

Invoices, orders, forms and keys change only through the services (and the screens that call
them), which write the audit trail in the same transaction; the admin is for looking.
"""

from django.apps import apps
from django.contrib import admin

from audit.admin import ReadOnlyAdmin, is_secret_field
from invoicing import models as m


def _columns(model, limit: int = 7) -> list[str]:
    names = []
    for field in model._meta.concrete_fields:
        if is_secret_field(field.name) or field.get_internal_type() in ("JSONField", "BinaryField", "TextField"):
            continue
        names.append(field.name)
    return names[:limit]


class InvoiceLineInline(admin.TabularInline):
    model = m.InvoiceLine
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(m.Invoice)
class InvoiceAdmin(ReadOnlyAdmin):
    list_display = ["number", "store", "kind", "type", "status", "buyer_name", "total_with_tax", "created_at"]
    list_filter = ["status", "kind", "type", "company"]
    search_fields = ["number", "buyer_name", "buyer_tax_id", "order__order_no"]
    date_hierarchy = "created_at"
    inlines = [InvoiceLineInline]


@admin.register(m.Order)
class OrderAdmin(ReadOnlyAdmin):
    list_display = ["order_no", "store", "status", "total_with_tax", "paid_at", "received_at"]
    list_filter = ["status", "company"]
    search_fields = ["order_no"]


@admin.register(m.ApiKey)
class ApiKeyAdmin(ReadOnlyAdmin):
    list_display = ["key_id", "store", "label", "secret_hint", "created_at", "revoked_at", "last_used_at"]
    search_fields = ["key_id", "label"]


@admin.register(m.RedLetterForm)
class RedLetterFormAdmin(ReadOnlyAdmin):
    list_display = _columns(m.RedLetterForm, 8)
    search_fields = ["number", "uuid", "blue_invoice__number"]


# Every other invoicing model: read-only, with its plain columns.
for _model in apps.get_app_config("invoicing").get_models():
    if _model not in admin.site._registry:
        admin.site.register(_model, type(f"{_model.__name__}Admin", (ReadOnlyAdmin,), {"list_display": _columns(_model)}))
