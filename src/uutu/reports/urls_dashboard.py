"""The dashboard (namespace "reports", under bao-cao/)."""

from django.urls import path

from . import views_dashboard as v

urlpatterns = [
    path("bang-dieu-khien/", v.dashboard, name="dashboard"),
]
