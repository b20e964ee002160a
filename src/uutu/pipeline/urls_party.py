"""The party side of the pipeline: candidates introduced to the cells, the cell's
and the committee's steps, the sympathiser review and the awareness classes."""

from django.urls import path

from . import views_party as v

urlpatterns = [
    path("ung-vien/", v.party_candidates, name="party_candidates"),
    path("ung-vien/them/", v.external_create, name="external_create"),
    path("<int:pk>/cam-tinh-dang/", v.case_sympathiser, name="case_sympathiser"),
    path("<int:pk>/hoan-thien-ho-so/", v.case_dossier, name="case_dossier"),
    path("<int:pk>/nghi-quyet-chi-bo/", v.case_cell_resolution, name="case_cell_resolution"),
    path("<int:pk>/dang-uy/<slug:step>/", v.case_committee, name="case_committee"),
    path("<int:pk>/le-ket-nap/", v.case_ceremony, name="case_ceremony"),
    path("<int:pk>/cong-nhan-chinh-thuc/", v.case_recognise, name="case_recognise"),
    path("chi-bo/<int:pk>/cam-tinh-dang/", v.sympathiser_review, name="sympathiser_review"),
    path("lop-boi-duong/", v.class_list, name="class_list"),
    path("lop-boi-duong/them/", v.class_create, name="class_create"),
    path("lop-boi-duong/<int:pk>/", v.class_detail, name="class_detail"),
    path("lop-boi-duong/<int:pk>/ghi-danh/", v.class_enrol, name="class_enrol"),
    path("lop-boi-duong/<int:pk>/cap-giay-chung-nhan/", v.class_certify, name="class_certify"),
    path("lop-boi-duong/hoc-vien/<int:pk>/ket-qua/", v.class_result, name="class_result"),
]
