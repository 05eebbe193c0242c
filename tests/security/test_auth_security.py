"""Login by phone, audit of logins, lockout after repeated failures, append-only audit, hashers."""

import pytest
from django.conf import settings
from django.contrib.auth import authenticate
from django.db import connection
from django.test import RequestFactory, override_settings

from security.models import AuditEvent
from security.models.audit import AppendOnlyError
from tests.factories import make_portal_user

pytestmark = pytest.mark.django_db


def _request():
    request = RequestFactory().post("/login/")
    request.META["REMOTE_ADDR"] = "203.0.113.9"
    return request


def test_argon2_is_the_first_password_hasher_in_base_settings():
    from marketing_portal.settings import base

    assert base.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"


def test_customer_logs_in_with_phone_number_in_any_format():
    user = make_portal_user(phone="13812340000", password="Correct-horse-1")
    assert authenticate(_request(), username="+86 138 1234 0000", password="Correct-horse-1") == user
    assert authenticate(_request(), username="13812340000", password="wrong") is None


def test_login_and_failed_login_are_audited_without_the_phone_number(client):
    make_portal_user(phone="13812340000", password="Correct-horse-1")
    client.post("/login/", {"username": "13812340000", "password": "nope"}, REMOTE_ADDR="203.0.113.9")
    client.post("/login/", {"username": "13812340000", "password": "Correct-horse-1"}, REMOTE_ADDR="203.0.113.9")
    failed = AuditEvent.objects.get(action=AuditEvent.Action.LOGIN_FAILED)
    assert failed.source_ip == "203.0.113.9"
    assert "13812340000" not in str(failed.details)
    assert failed.details["attempted"].startswith("phone:")
    assert AuditEvent.objects.filter(action=AuditEvent.Action.LOGIN, outcome="success").count() == 1


@override_settings(AXES_FAILURE_LIMIT=3)
def test_lockout_after_repeated_failures_even_with_the_right_password(client):
    make_portal_user(phone="13812340000", password="Correct-horse-1")
    for _ in range(3):
        client.post("/login/", {"username": "13812340000", "password": "nope"}, REMOTE_ADDR="203.0.113.9")
    response = client.post(
        "/login/", {"username": "13812340000", "password": "Correct-horse-1"}, REMOTE_ADDR="203.0.113.9"
    )
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    # Another address is not locked out by this attacker.
    other = client.post(
        "/login/", {"username": "13812340000", "password": "Correct-horse-1"}, REMOTE_ADDR="198.51.100.7"
    )
    assert other.status_code == 302


def test_axes_stores_no_phone_number():
    from axes.models import AccessAttempt

    make_portal_user(phone="13812340000")
    from django.test import Client

    Client().post("/login/", {"username": "13812340000", "password": "nope"}, REMOTE_ADDR="203.0.113.9")
    attempt = AccessAttempt.objects.get()
    assert "13812340000" not in attempt.username
    assert "13812340000" not in attempt.post_data


def test_audit_events_cannot_be_changed_or_deleted():
    event = AuditEvent.objects.create(action=AuditEvent.Action.LOGIN)
    event.action = AuditEvent.Action.LOGOUT
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.all().delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.update(action="logout")


@pytest.mark.postgres
def test_database_trigger_refuses_raw_update_of_audit_events():
    from django.db import DatabaseError, transaction

    AuditEvent.objects.create(action=AuditEvent.Action.LOGIN)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE security_auditevent SET action = 'logout'")


def test_test_settings_keep_argon2_out_only_for_speed():
    # Guard against the fast test hasher leaking into real settings.
    assert settings.PASSWORD_HASHERS == ["django.contrib.auth.hashers.MD5PasswordHasher"]
