"""Year-end emulation (thi đua): criteria with weights, scores and ranking
(namespace "emulation", under thi-dua/)."""

from django.urls import path

from . import views as v

app_name = "emulation"
urlpatterns = [
    path("", v.criteria, name="criteria"),
    path("<int:unit_pk>/<int:year>/them-tieu-chi/", v.criterion_add, name="criterion_add"),
    path("<int:unit_pk>/<int:year>/tieu-chi-mau/", v.criteria_defaults, name="criteria_defaults"),
    path("tieu-chi/<int:pk>/sua/", v.criterion_edit, name="criterion_edit"),
    path("tieu-chi/<int:pk>/xoa/", v.criterion_delete, name="criterion_delete"),
    path("tieu-chi/<int:pk>/cham-diem/", v.manual_scores, name="manual_scores"),
    path("xep-hang/", v.ranking, name="ranking"),
    path("xep-hang/xuat-excel/", v.ranking_export, name="ranking_export"),
]
