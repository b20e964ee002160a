from django.urls import path

from . import views

app_name = "imports"
urlpatterns = [
    path("", views.import_list, name="list"),
    path("mau/<slug:kind>/", views.template, name="template"),
    path("tai-len/<slug:kind>/", views.upload, name="upload"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/tien-do/", views.progress, name="progress"),
    path("<int:pk>/nhap/", views.commit, name="commit"),
    path("<int:pk>/loi/", views.errors, name="errors"),
]
