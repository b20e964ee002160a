from django.urls import path

from . import views

app_name = "targets"
urlpatterns = [
    path("", views.quota_list, name="quota_list"),
    path("don-vi/<int:pk>/giao/", views.quota_edit, name="quota_edit"),
    path("don-vi/<int:pk>/phan-bo/", views.allocation, name="allocation"),
    path("don-vi/<int:pk>/xuat-excel/", views.quota_export, name="quota_export"),
    path(
        "don-vi/<int:pk>/xuat-word/", views.quota_export, {"fmt": "docx"}, name="quota_export_docx"
    ),
    path("don-vi/<int:pk>/nhap-excel/", views.quota_import, name="quota_import"),
    path("don-vi/<int:pk>/tien-do/", views.progress_view, name="progress"),
    path("don-vi/<int:pk>/so-lieu/", views.manual_figures, name="manual_figures"),
    path("ky/", views.period_list, name="period_list"),
    path("ky/them/", views.period_create, name="period_create"),
]
