from django.urls import path

from . import views

app_name = "orgs"
urlpatterns = [
    path("", views.unit_list, name="list"),
    path("<int:pk>/", views.unit_detail, name="detail"),
    path("<int:pk>/them-don-vi/", views.unit_create_child, name="create_child"),
    path("<int:pk>/doi-ten/", views.unit_rename, name="rename"),
    path("<int:pk>/chuyen/", views.unit_move, name="move"),
    path("<int:pk>/hop-nhat/", views.unit_merge, name="merge"),
    path("<int:pk>/chia-tach/", views.unit_split, name="split"),
    path("<int:pk>/giai-the/", views.unit_dissolve, name="dissolve"),
    path("<int:pk>/lien-ket/", views.unit_link, name="link"),
    path("<int:pk>/theo-ngay/", views.unit_tree_as_of, name="tree_as_of"),
    path("tim-don-vi/", views.unit_search, name="unit_search"),
]
