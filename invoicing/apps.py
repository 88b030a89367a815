from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InvoicingConfig(AppConfig):
    name = "invoicing"
    verbose_name = _("开票")

    def ready(self):
        # Registers the start-up check that warns when no Chinese font is installed.
        from invoicing.documents import checks  # noqa: F401 - imported for its @register side effect
