from django.contrib.auth import views as auth_views
from django.urls import path

from customers.views import accounts, auth, dashboard, profile

app_name = "hall"

urlpatterns = [
    path("", dashboard.dashboard, name="dashboard"),
    path("login/", auth.HallLoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("register/", auth.register, name="register"),
    path("register/verify/", auth.register_verify, name="register_verify"),
    path("password-reset/", auth.password_reset, name="password_reset"),
    path("password-reset/verify/", auth.password_reset_verify, name="password_reset_verify"),
    path("privacy/", auth.privacy_notice, name="privacy"),
    path("switch-account/", accounts.switch_account, name="switch_account"),
    path("accounts/", accounts.account_list, name="accounts"),
    path("accounts/bind/", accounts.bind, name="bind"),
    path("accounts/bind/id-number/", accounts.bind_with_id_number, name="bind_id_number"),
    path("accounts/bind/send-code/", accounts.bind_send_code, name="bind_send_code"),
    path("accounts/bind/sms-code/", accounts.bind_with_code, name="bind_code"),
    path("accounts/<str:account_number>/unbind/", accounts.unbind, name="unbind"),
    path("profile/", profile.profile, name="profile"),
    path("profile/password/", auth.password_change, name="password_change"),
    path("profile/sign-out-everywhere/", profile.sign_out_everywhere_view, name="sign_out_everywhere"),
]
