"""Sessions: staff idle timeout (30 min) and absolute lifetime (12 h), customer idle timeout, a new
session key at login, every session of a user ended when their privileges change, and "sign out
everywhere"."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import Group
from django.test import Client

from core import clock
from security import roles
from security.models import AuditEvent
from tests.factories import make_portal_user, make_staff

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 12, 7, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def at(monkeypatch):
    """Set the wall clock the middleware reads: at(minutes=…) after T0."""
    moment = {"now": T0}
    monkeypatch.setattr(clock, "now", lambda: moment["now"])

    def move(**delta):
        moment["now"] = T0 + dt.timedelta(**delta)

    return move


def _staff_client():
    client = Client()
    client.force_login(make_staff(role=roles.CUSTOMER_SERVICE_AGENT))
    return client


def test_staff_idle_for_more_than_30_minutes_signs_in_again(at):
    client = _staff_client()
    assert client.get("/admin/").status_code == 200
    at(minutes=29)
    assert client.get("/admin/").status_code == 200  # activity keeps it alive…
    at(minutes=29 + 31)
    response = client.get("/admin/customers/customer/")
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/?next=/admin/customers/")
    assert "_auth_user_id" not in client.session
    assert AuditEvent.objects.filter(action="logout", details__expired="idle").count() == 1


def test_staff_sessions_end_after_12_hours_however_active(at):
    client = _staff_client()
    client.get("/admin/")
    for minutes in range(20, 12 * 60, 20):
        at(minutes=minutes)
        assert client.get("/admin/").status_code == 200, minutes
    at(hours=12, minutes=1)
    assert client.get("/admin/").status_code == 302
    assert AuditEvent.objects.filter(action="logout", details__expired="absolute").count() == 1


def test_customers_have_an_idle_timeout_but_no_absolute_one(settings, at):
    client = Client()
    client.force_login(make_portal_user())
    client.get("/")
    for hours in range(1, 14):
        at(hours=hours)
        assert client.get("/").status_code == 200, hours  # active for 13 h: still signed in
    at(hours=13 + 2, minutes=1)
    response = client.get("/bills/")
    assert response.status_code == 302 and response["Location"].startswith("/login/?next=/bills/")


def test_login_gives_a_new_session_key(client):
    make_portal_user(phone="13812349876", password="Correct-horse-9")
    client.get("/login/")
    client.cookies["sessionid"] = "attacker-fixed-session"
    before = client.session.session_key
    client.post("/login/", {"username": "13812349876", "password": "Correct-horse-9"})
    assert client.session.session_key not in (before, "attacker-fixed-session")
    assert "_auth_user_id" in client.session


def test_a_privilege_change_ends_every_session_of_that_user():
    staff = make_staff(role=roles.CUSTOMER_SERVICE_AGENT)
    laptop, phone = Client(), Client()
    laptop.force_login(staff)
    phone.force_login(staff)
    assert laptop.get("/admin/").status_code == 200
    staff.groups.add(Group.objects.get(name=roles.BILLING_CLERK))  # e.g. granted by an administrator
    for client in (laptop, phone):
        assert client.get("/admin/").status_code == 302  # signs in again, gets a fresh session
    fresh = Client()
    fresh.force_login(staff)
    assert fresh.get("/admin/").status_code == 200


def test_sign_out_everywhere_ends_all_sessions_of_the_user_only():
    user, other = make_portal_user(), make_portal_user()
    mine, also_mine, theirs = Client(), Client(), Client()
    for client, who in ((mine, user), (also_mine, user), (theirs, other)):
        client.force_login(who)
    response = mine.post("/profile/sign-out-everywhere/")
    assert response.status_code == 302 and response["Location"] == "/login/"
    assert mine.get("/profile/").status_code == 302 and also_mine.get("/profile/").status_code == 302
    assert theirs.get("/profile/").status_code == 200
    assert AuditEvent.objects.filter(action="logout", details__everywhere=True, actor=user).count() == 1
    assert "退出所有设备上的登录" in theirs.get("/profile/").content.decode()
