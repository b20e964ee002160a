"""URL configuration. Every URL here is walked by the permission test
(tests/test_permissions.py) as every persona."""

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("", include("uutu.core.urls")),
    path("tai-khoan/", include("uutu.accounts.urls")),
    path("to-chuc/", include("uutu.orgs.urls")),
    path("hoi-vien/", include("uutu.people.urls")),
    path("phat-trien-dang/", include("uutu.pipeline.urls")),
    path("chi-tieu/", include("uutu.targets.urls")),
    path("bao-cao/", include("uutu.reports.urls")),
    path("thi-dua/", include("uutu.emulation.urls")),
    path("nhap-du-lieu/", include("uutu.imports.urls")),
    path("quan-tri/", admin.site.urls),
]
