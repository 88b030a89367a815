"""Admin for the sandbox's own records (read-only; the unit secrets are never shown)."""

from django.apps import apps
from django.contrib import admin

from audit.admin import ReadOnlyAdmin, is_secret_field

for _model in apps.get_app_config("sandbox").get_models():
    columns = [f.name for f in _model._meta.concrete_fields
               if not is_secret_field(f.name) and f.get_internal_type() not in ("JSONField", "BinaryField", "TextField")]
    admin.site.register(_model, type(f"Sandbox{_model.__name__}Admin", (ReadOnlyAdmin,), {"list_display": columns[:7]}))
