from django.contrib import admin

from audit.models import AuditChainHead, AuditEvent, Exchange, ReportJob
from stores.scoping import ScopedAdminMixin

SECRET_MARKERS = ("secret", "encrypted", "private_key", "password", "token")


def is_secret_field(name: str) -> bool:
    return any(marker in name for marker in SECRET_MARKERS)


class ReadOnlyAdmin(ScopedAdminMixin, admin.ModelAdmin):
    """An admin that only reads, and never shows a field that holds a secret.

    For the audit tables (append-only in the database) and for business rows that must change
    only through the services, which write the audit trail in the same transaction.
    """

    def get_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.concrete_fields if not is_secret_field(f.name)]

    def get_readonly_fields(self, request, obj=None):
        return self.get_fields(request, obj)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "company", "actor_label", "action", "object_type", "object_repr"]
    list_filter = ["action", "actor_type", "company"]
    search_fields = ["object_id", "object_repr", "actor_label"]
    date_hierarchy = "created_at"


@admin.register(Exchange)
class ExchangeAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "company", "service", "outcome", "return_code", "duration_ms"]
    list_filter = ["service", "outcome", "company"]
    search_fields = ["refs", "trace_id", "return_message"]
    date_hierarchy = "created_at"


@admin.register(AuditChainHead)
class AuditChainHeadAdmin(ReadOnlyAdmin):
    list_display = ["company", "seq", "last_hash", "archived_through_seq"]


@admin.register(ReportJob)
class ReportJobAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "company", "requested_by", "status", "progress"]
    list_filter = ["status"]
