"""The settings pages of every app in one namespace, ``settings``: the hub and invoicing's pages
(``invoicing.settings_views``) beside the stores app's (``stores.settings_views``).

Here, at the top layer, so that the stores app never imports invoicing (docs/architecture.md).
"""

from django.urls import path

from invoicing import settings_views as invoicing_settings
from stores import settings_views as stores_settings

app_name = "settings"
urlpatterns = [
    path("settings/", invoicing_settings.settings_home, name="settings_home"),
    path("settings/stores/new/", stores_settings.store_edit, name="store_create"),
    path("settings/stores/<int:store_id>/", stores_settings.store_edit, name="store_edit"),
    path("settings/stores/<int:store_id>/delivery/", invoicing_settings.store_delivery, name="store_delivery"),
    path("settings/auto-code/", invoicing_settings.auto_code, name="auto_code"),
    path("settings/red-letter-policy/", invoicing_settings.red_letter_policy, name="red_letter_policy"),
    path("settings/credentials/", stores_settings.credentials_edit, name="credentials_edit"),
    path("settings/tax-office/", stores_settings.tax_office_edit, name="tax_office_edit"),
    path("settings/integrations/", invoicing_settings.integrations, name="integrations"),
    path("settings/api-keys/<int:key_id>/revoke/", invoicing_settings.api_key_revoke, name="api_key_revoke"),
    path("settings/webhooks/<int:webhook_id>/deactivate/", invoicing_settings.webhook_deactivate,
         name="webhook_deactivate"),
    path("settings/members/new/", stores_settings.membership_grant, name="membership_grant"),
    path("settings/members/<int:membership_id>/revoke/", stores_settings.membership_revoke, name="membership_revoke"),
]
