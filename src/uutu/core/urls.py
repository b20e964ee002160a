from django.urls import path

from . import views

app_name = "core"
urlpatterns = [
    path("", views.home, name="home"),
    path("nhat-ky/", views.activity, name="activity"),
    path("nhat-ky/don-vi/<int:unit_id>/", views.unit_activity, name="unit_activity"),
]
