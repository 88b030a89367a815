from django.contrib import admin

from audit.models import AuditEvent, Exchange


class ReadOnlyAdmin(admin.ModelAdmin):
    """The audit tables are append-only (the database refuses UPDATE/DELETE); the admin only reads."""

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
