"""Business hall: register (the number proved by an SMS code first), log in, log out, lockout — in
Chinese by default. What registration must not reveal: tests/customers/test_registration_enumeration.py."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation

from customers.services.registration import complete_registration, start_registration
from customers.sms import LocmemSmsBackend
from security.normalize import normalize_phone
from tests.factories import make_portal_user

pytestmark = pytest.mark.django_db

STRONG_PASSWORD = "Dianli-2024!hall"
NOW = dt.datetime(2026, 12, 7, 22, 0, tzinfo=dt.UTC)


def zh(message: str) -> str:
    with translation.override("zh-hans"):
        return translation.gettext(message)


def _code_in(body: str) -> str:
    return re.search(r"(?<!\d)(\d{6})(?!\d)", body).group(1)


def _register(client, *, phone: str, password: str = STRONG_PASSWORD, confirm: str | None = None):
    """Both steps: ask for a code (privacy notice accepted), then type it with the password."""
    client.post(reverse("hall:register"), {"phone": phone, "accept_privacy": "on"})
    texts = [m for m in LocmemSmsBackend.outbox if m.to == normalize_phone(phone)]
    code = _code_in(texts[-1].body) if texts else "000000"
    return client.post(
        reverse("hall:register_verify"),
        {"code": code, "password": password, "password_confirm": password if confirm is None else confirm},
    )


def test_root_answers_landing_page_for_visitors(client):
    response = client.get("/")
    assert response.status_code == 200
    assert reverse("hall:register") in response.content.decode()
    assert "网上营业厅" in response.content.decode()


def test_register_page_is_chinese_by_default(client):
    page = client.get(reverse("hall:register")).content.decode()
    assert "手机号" in page and "获取验证码" in page and "我已阅读并同意《个人信息保护政策》" in page
    assert reverse("hall:privacy") in page
    assert 'lang="zh-hans"' in page


def test_register_refuses_a_bad_phone_with_a_chinese_error(client):
    response = client.post(reverse("hall:register"), {"phone": "12345", "accept_privacy": "on"})
    assert response.status_code == 200
    assert response.context["form"].errors["phone"] == ["请输入内地手机号：以 1 开头的 11 位数字（如 13812345678）。"]
    assert "请输入内地手机号" in response.content.decode()
    assert LocmemSmsBackend.outbox == []


def test_register_refuses_a_weak_password_with_django_validator_messages(client):
    response = _register(client, phone="13900002222", password="12345678")
    errors = response.context["form"].errors["password"]
    assert zh("This password is entirely numeric.") in errors
    assert zh("This password is too common.") in errors
    assert all(any("\u4e00" <= ch <= "\u9fff" for ch in e) for e in errors), errors  # shown in Chinese
    assert not get_user_model().objects.exists()


def test_register_refuses_mismatched_confirmation(client):
    response = _register(client, phone="13900003333", confirm="something-else-1!")
    assert response.context["form"].errors["password_confirm"] == ["两次输入的密码不一致。"]
    assert not get_user_model().objects.exists()


def test_register_creates_customer_with_opaque_username_and_logs_in(client):
    response = _register(client, phone="+86 139-0000-4444")
    assert response.status_code == 302
    assert response["Location"] == reverse("hall:bind")
    user = get_user_model().objects.get()
    assert user.kind == "customer" and not user.is_staff
    assert user.username.startswith("c_") and "13900004444" not in user.username
    assert user.phone == "13900004444"  # normalised before storing
    assert user.check_password(STRONG_PASSWORD)
    assert client.get(reverse("hall:dashboard")).context["user"] == user


def test_register_service_raises_field_keyed_errors():
    with pytest.raises(ValidationError) as excinfo:
        start_registration(phone="2", now=NOW)
    assert set(excinfo.value.message_dict) == {"phone"}
    start_registration(phone="13900008888", now=NOW)
    with pytest.raises(ValidationError) as excinfo:
        complete_registration(phone="13900008888", code="000000", password="1", notice_version="v", consented_at=NOW)
    assert set(excinfo.value.message_dict) == {"password"}


def test_login_with_mobile_number(client):
    make_portal_user(phone="13900005555", password=STRONG_PASSWORD)
    login_page = client.get(reverse("hall:login")).content.decode()
    assert "手机号" in login_page
    response = client.post(reverse("hall:login"), {"username": "13900005555", "password": STRONG_PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == reverse("hall:dashboard")
    assert "我的营业厅" in client.get(reverse("hall:dashboard")).content.decode()


def test_login_with_wrong_password_shows_one_chinese_message(client):
    make_portal_user(phone="13900006666", password=STRONG_PASSWORD)
    response = client.post(reverse("hall:login"), {"username": "13900006666", "password": "wrong-password"})
    assert response.status_code == 200
    assert "手机号或密码不正确。" in response.content.decode()


def test_staff_cannot_log_in_to_the_hall(client):
    user_model = get_user_model()
    user_model.objects.create_user(username="agent_zhang", password=STRONG_PASSWORD, kind="staff", is_staff=True)
    response = client.post(reverse("hall:login"), {"username": "agent_zhang", "password": STRONG_PASSWORD})
    assert response.status_code == 200
    assert "员工和接口账号不能登录网上营业厅" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_staff_session_gets_a_customers_only_page_not_accounts(client):
    staff = get_user_model().objects.create_user(username="clerk", password="x", kind="staff", is_staff=True)
    client.force_login(staff, backend="security.backends.PhoneOrUsernameBackend")
    response = client.get(reverse("hall:dashboard"))
    assert response.status_code == 403
    assert "网上营业厅仅供客户使用" in response.content.decode()


def test_logout_is_a_post(client):
    user = make_portal_user()
    client.force_login(user, backend="security.backends.PhoneOrUsernameBackend")
    assert client.get(reverse("hall:logout")).status_code == 405
    response = client.post(reverse("hall:logout"))
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session


def test_repeated_failed_logins_show_the_lockout_page(client, settings):
    make_portal_user(phone="13900007777", password=STRONG_PASSWORD)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("hall:login"), {"username": "13900007777", "password": "wrong-password"})
    response = client.post(reverse("hall:login"), {"username": "13900007777", "password": STRONG_PASSWORD})
    assert response.status_code == 429
    page = response.content.decode()
    assert "登录已暂时锁定" in page
    assert "13900007777" not in page and "phone:" not in page


def test_registration_posts_are_rate_limited_per_ip_and_say_when(client):
    from customers.views.rate_limits import REGISTER_RATE

    limit = int(REGISTER_RATE.split("/")[0])
    for n in range(limit):
        response = client.post(reverse("hall:register"), {"phone": f"1390000{n:04d}"})
        assert response.status_code == 200  # no consent: refused by the form, still counted
    response = client.post(reverse("hall:register"), {"phone": "13900009999", "accept_privacy": "on"})
    assert response.status_code == 429
    page = response.content.decode()
    assert "请求已暂停" in page and re.search(r"请在 \d+ 分钟后再试", page)
    assert LocmemSmsBackend.outbox == []
