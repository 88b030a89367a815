from django.urls import path

from stores import settings_views, views

app_name = "stores"
urlpatterns = [
    path("stores/", views.store_list, name="store_list"),
    path("stores/<int:store_id>/", views.store_detail, name="store_detail"),
    path("settings/", settings_views.settings_home, name="settings_home"),
    path("settings/stores/new/", settings_views.store_edit, name="store_create"),
    path("settings/stores/<int:store_id>/", settings_views.store_edit, name="store_edit"),
    path("settings/stores/<int:store_id>/delivery/", settings_views.store_delivery, name="store_delivery"),
    path("settings/auto-code/", settings_views.auto_code, name="auto_code"),
    path("settings/red-letter-policy/", settings_views.red_letter_policy, name="red_letter_policy"),
    path("settings/credentials/", settings_views.credentials_edit, name="credentials_edit"),
    path("settings/integrations/", settings_views.integrations, name="integrations"),
    path("settings/api-keys/<int:key_id>/revoke/", settings_views.api_key_revoke, name="api_key_revoke"),
    path("settings/webhooks/<int:webhook_id>/deactivate/", settings_views.webhook_deactivate, name="webhook_deactivate"),
    path("settings/members/new/", settings_views.membership_grant, name="membership_grant"),
    path("settings/members/<int:membership_id>/revoke/", settings_views.membership_revoke, name="membership_revoke"),
]
