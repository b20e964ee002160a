"""Periodic reports and their exports (mounted at bao-cao/ in namespace "reports")."""

from django.urls import path

from . import views

urlpatterns = [
    path("danh-sach/", views.report_list, name="report_list"),
    path("lap-moi/", views.report_create, name="report_create"),
    path("<int:pk>/", views.report_detail, name="report_detail"),
    path("<int:pk>/sua/", views.report_edit, name="report_edit"),
    path("<int:pk>/gui/", views.report_submit, name="report_submit"),
    path("<int:pk>/phe-duyet/", views.report_approve, name="report_approve"),
    path("<int:pk>/tra-lai/", views.report_return, name="report_return"),
    path("<int:pk>/tai-ve.<str:format>", views.report_export, name="report_export"),
    path("don-vi-truc-thuoc/", views.report_children, name="report_children"),
    path("han-nop/", views.deadline_set, name="deadline_set"),
]
