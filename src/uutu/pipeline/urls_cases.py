"""The case pages and the Hội's steps (namespace "pipeline", under phat-trien-dang/)."""

from django.urls import path

from . import views_cases as v
from . import views_export

urlpatterns = [
    path("", v.case_list, name="case_list"),
    path("han/", v.deadlines, name="deadlines"),
    path("chi-hoi-truong/", v.branch_heads, name="branch_heads"),
    path("lam-hang-loat/", v.bulk, name="bulk"),
    path("tao-nguon/<int:person_pk>/", v.case_open, name="case_open"),
    path("<int:pk>/", v.case_detail, name="case_detail"),
    path("<int:pk>/boi-duong/", v.case_cultivate, name="case_cultivate"),
    path("<int:pk>/kem-cap/", v.case_mentor, name="case_mentor"),
    path("<int:pk>/ghi-chep/", v.case_note, name="case_note"),
    path("<int:pk>/gioi-thieu/", v.case_introduce, name="case_introduce"),
    path("<int:pk>/nhan-xet-hoi/", v.case_hoi_comment, name="case_hoi_comment"),
    path("<int:pk>/dung/", v.case_exit, name="case_exit"),
    path("<int:pk>/mo-lai/", v.case_reopen, name="case_reopen"),
    path("xuat-excel/", views_export.case_export, name="case_export"),
    path("han/xuat-excel/", views_export.deadlines_export, name="deadlines_export"),
    path("lop-boi-duong/xuat-excel/", views_export.class_export, name="class_export"),
]
