from django.contrib.auth import views as auth_views
from django.urls import path

from customers import views

app_name = "hall"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("login/", views.HallLoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("register/", views.register, name="register"),
    path("switch-account/", views.switch_account, name="switch_account"),
    path("accounts/", views.account_list, name="accounts"),
    path("accounts/bind/", views.bind, name="bind"),
    path("accounts/bind/id-number/", views.bind_with_id_number, name="bind_id_number"),
    path("accounts/bind/send-code/", views.bind_send_code, name="bind_send_code"),
    path("accounts/bind/sms-code/", views.bind_with_code, name="bind_code"),
    path("accounts/<str:account_number>/unbind/", views.unbind, name="unbind"),
    path("profile/", views.profile, name="profile"),
    path("profile/password/", views.password_change, name="password_change"),
]
