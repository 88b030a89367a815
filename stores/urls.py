from django.urls import path

from stores import views

app_name = "stores"
urlpatterns = [
    path("stores/", views.store_list, name="store_list"),
    path("stores/<int:store_id>/", views.store_detail, name="store_detail"),
]
