from invoicing.web_urls import urlpatterns as web_urlpatterns  # noqa: I001 - the store and HQ screens
from django.urls import path

from invoicing.api import views as api

app_name = "invoicing"

# Integration API for shop/POS systems (docs/api.md); the screens are appended below.
urlpatterns = [
    path("api/v1/openapi.json", api.openapi, name="api_openapi"),
    path("api/v1/orders", api.orders_create, name="api_orders_create"),
    path("api/v1/orders/batch", api.orders_batch, name="api_orders_batch"),
    path("api/v1/orders/<str:order_no>", api.order_detail, name="api_order_detail"),
    path("api/v1/refunds", api.refunds_create, name="api_refunds_create"),
    path("api/v1/refunds/batch", api.refunds_batch, name="api_refunds_batch"),
]
urlpatterns += web_urlpatterns
from invoicing.redletter.urls import urlpatterns as redletter_urlpatterns  # noqa: E402 - the red-letter screens

urlpatterns += redletter_urlpatterns
