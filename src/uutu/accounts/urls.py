from django.urls import path

from . import views

app_name = "accounts"
urlpatterns = [
    path("dang-nhap/", views.LoginView.as_view(), name="login"),
    path("dang-xuat/", views.LogoutView.as_view(), name="logout"),
    path("doi-mat-khau/", views.PasswordChangeView.as_view(), name="password_change"),
    path("", views.user_list, name="user_list"),
    path("tao/", views.user_create, name="user_create"),
    path("<int:pk>/", views.user_detail, name="user_detail"),
    path("<int:pk>/sua/", views.user_edit, name="user_edit"),
    path("<int:pk>/mat-khau/", views.user_password, name="user_password"),
    path("<int:pk>/khoa/", views.user_toggle_active, name="user_toggle_active"),
    path("<int:pk>/vai-tro/", views.role_grant, name="role_grant"),
    path("vai-tro/<int:pk>/thu-hoi/", views.role_revoke, name="role_revoke"),
]
