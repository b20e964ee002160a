from django.urls import path

from . import views, views_export

app_name = "people"
urlpatterns = [
    path("", views.person_list, name="list"),
    path("them/", views.person_create, name="create"),
    path("<int:pk>/", views.person_detail, name="detail"),
    path("<int:pk>/sua/", views.person_edit, name="edit"),
    path("<int:pk>/lien-he/", views.person_contact, name="contact"),
    path("<int:pk>/chuyen-sinh-hoat/", views.person_move, name="move"),
    path("<int:pk>/luu-tru/", views.person_archive, name="archive"),
    path("<int:pk>/khoi-phuc/", views.person_restore, name="restore"),
    path("<int:pk>/chuc-vu/", views.position_add, name="position_add"),
    path("chuc-vu/<int:pk>/ket-thuc/", views.position_end, name="position_end"),
    path("<int:pk>/dang-vien/", views.party_status, name="party_status"),
    path("xuat-excel/", views_export.person_export, name="export"),
]
