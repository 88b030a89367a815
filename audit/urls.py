from django.urls import path

from audit import views

app_name = "audit"
urlpatterns = [
    path("audit/exchanges/", views.exchange_list, name="exchange_list"),
    path("audit/exchanges/<int:exchange_id>/", views.exchange_detail, name="exchange_detail"),
    path("audit/events/", views.event_list, name="event_list"),
]
