"""Staff two-factor authentication: enrolment on first sign-in, a code once per session for the admin
console and the staff pages, backup codes that work once, throttling, reset only by another security
administrator, every step audited, and production refusing to run without it."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import Client
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from security import roles
from security.models import AuditEvent
from security.services.two_factor import TwoFactorRefused, reset_two_factor
from tests.factories import make_portal_user, make_staff

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def two_factor_on(settings):
    settings.STAFF_2FA_REQUIRED = True


def _code(device: TOTPDevice) -> str:
    """What the staff member's authenticator app shows now (the RFC 6238 code of the device's key)."""
    return f"{TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift).token():06d}"


def _signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _enrolled(user) -> list[str]:
    """Enrol ``user`` through the pages; returns the backup codes shown."""
    client = _signed_in(user)
    client.get("/staff/security/2fa/setup/")
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    page = client.post("/staff/security/2fa/setup/", {"code": _code(device), "next": "/admin/"})
    return [code for code in page.context["codes"]]


def test_first_sign_in_enrols_with_a_qr_code_then_the_console_opens():
    staff = make_staff(role=roles.BILLING_CLERK)
    client = _signed_in(staff)

    first = client.get("/admin/")
    assert first.status_code == 302 and first["Location"] == "/staff/security/2fa/setup/?next=/admin/"
    setup = client.get(first["Location"])
    device = TOTPDevice.objects.get(user=staff)
    assert device.confirmed is False
    html = setup.content.decode()
    assert "<svg" in html and "<?xml" not in html  # the QR code, inline
    assert setup.context["enrolment"].secret_base32 in html
    assert client.get("/admin/").status_code == 302  # still no way in before confirming

    session_before = client.session.session_key
    done = client.post("/staff/security/2fa/setup/", {"code": _code(device), "next": "/admin/"})
    codes = done.context["codes"]
    assert len(codes) == 10 and len(set(codes)) == 10
    assert all(code in done.content.decode() for code in codes)
    assert set(StaticToken.objects.filter(device__user=staff).values_list("token", flat=True)) == set(codes)
    device.refresh_from_db()
    assert device.confirmed is True
    assert client.session.session_key != session_before  # raised privilege, new session key

    console = client.get("/admin/")
    assert console.status_code == 200 and "Staff console" in console.content.decode()
    assert client.get("/staff/analytics/").status_code != 302
    assert AuditEvent.objects.filter(action=AuditEvent.Action.OTP_ENROLLED, object_id=str(staff.pk)).count() == 1


def test_a_new_session_asks_for_the_code_and_refuses_a_wrong_one():
    staff = make_staff(role=roles.CUSTOMER_SERVICE_AGENT)
    _enrolled(staff)
    client = _signed_in(staff)  # another sign-in: another session, not yet verified

    asked = client.get("/staff/services/")
    assert asked.status_code == 302 and asked["Location"].startswith(
        "/staff/security/2fa/verify/?next=/staff/services/"
    )
    wrong = client.post("/staff/security/2fa/verify/", {"code": "000000", "next": "/admin/"})
    assert wrong.status_code == 200 and "验证码不正确" in wrong.content.decode()
    assert client.get("/admin/").status_code == 302
    failures = AuditEvent.objects.filter(action=AuditEvent.Action.OTP_FAILED, object_id=str(staff.pk))
    assert failures.count() == 1 and failures.get().outcome == AuditEvent.Outcome.FAILURE

    # django-otp throttles: after three wrong codes the right one waits (1 s × 2^(n−1) = 4 s).
    for _ in range(2):
        client.post("/staff/security/2fa/verify/", {"code": "000000"})
    device = TOTPDevice.objects.get(user=staff, confirmed=True)
    throttled = client.post("/staff/security/2fa/verify/", {"code": _code(device)})
    assert throttled.status_code == 200 and client.get("/admin/").status_code == 302


def test_the_authenticator_code_opens_the_console_for_this_session():
    staff = make_staff(role=roles.CUSTOMER_SERVICE_AGENT)
    _enrolled(staff)
    device = TOTPDevice.objects.get(user=staff, confirmed=True)
    device.last_t = -1  # the enrolment used this time step's code; a new step's code is what the app shows next
    device.save(update_fields=["last_t"])
    client = _signed_in(staff)
    ok = client.post("/staff/security/2fa/verify/", {"code": _code(device), "next": "/staff/services/"})
    assert ok.status_code == 302 and ok["Location"] == "/staff/services/"
    assert client.get("/admin/").status_code == 200
    verified = AuditEvent.objects.get(action=AuditEvent.Action.OTP_VERIFIED, object_id=str(staff.pk))
    assert verified.details == {"factor": "authenticator"}


def test_a_backup_code_works_once():
    staff = make_staff(role=roles.BILLING_CLERK)
    codes = _enrolled(staff)
    first = _signed_in(staff)
    assert first.post("/staff/security/2fa/verify/", {"code": codes[0]}).status_code == 302
    assert first.get("/admin/").status_code == 200
    assert StaticToken.objects.filter(device__user=staff).count() == 9

    second = _signed_in(staff)
    again = second.post("/staff/security/2fa/verify/", {"code": codes[0]})
    assert again.status_code == 200 and second.get("/admin/").status_code == 302


def test_only_another_security_administrator_resets_it_and_the_sessions_end():
    staff = make_staff(role=roles.BILLING_CLERK)
    _enrolled(staff)
    victim_session = _signed_in(staff)
    security_admin = make_staff(role=roles.SECURITY_ADMINISTRATOR)
    system_admin = make_staff(role=roles.SYSTEM_ADMINISTRATOR)

    with pytest.raises(TwoFactorRefused, match="只有安全管理员"):
        reset_two_factor(target=staff, by=system_admin)
    _enrolled(security_admin)
    with pytest.raises(TwoFactorRefused, match="不能重置自己"):
        reset_two_factor(target=security_admin, by=security_admin)
    assert TOTPDevice.objects.filter(user=staff).exists()

    reset_two_factor(target=staff, by=security_admin)
    assert not TOTPDevice.objects.filter(user=staff).exists()
    assert not StaticDevice.objects.filter(user=staff).exists()
    assert victim_session.get("/admin/")["Location"].startswith("/admin/login/")  # signed out
    event = AuditEvent.objects.get(action=AuditEvent.Action.OTP_RESET)
    assert (event.actor_id, event.object_id) == (security_admin.pk, str(staff.pk))
    # Next sign-in enrols again.
    staff.refresh_from_db()  # (its session epoch moved on: the reset ended every session)
    assert _signed_in(staff).get("/admin/")["Location"] == "/staff/security/2fa/setup/?next=/admin/"


def test_the_admin_action_resets_through_the_same_rule():
    staff = make_staff(role=roles.BILLING_CLERK)
    _enrolled(staff)
    security_admin = make_staff(role=roles.SECURITY_ADMINISTRATOR)
    _enrolled(security_admin)
    client = _signed_in(security_admin)
    device = TOTPDevice.objects.get(user=security_admin, confirmed=True)
    device.last_t = -1
    device.save(update_fields=["last_t"])
    client.post("/staff/security/2fa/verify/", {"code": _code(device)})
    response = client.post(
        "/admin/security/user/",
        {"action": "reset_two_factor_selected", "_selected_action": [staff.pk, security_admin.pk]},
        follow=True,
    )
    text = response.content.decode()
    assert "已为 1 个用户重置双因子认证" in text and "不能重置自己的双因子认证" in text
    assert not TOTPDevice.objects.filter(user=staff).exists()
    assert TOTPDevice.objects.filter(user=security_admin).exists()


def test_customers_and_the_setting_off_are_untouched(settings):
    customer = make_portal_user()
    hall = _signed_in(customer)
    assert hall.get("/").status_code == 200
    assert hall.get("/staff/security/2fa/setup/")["Location"].startswith("/admin/login/")  # staff only

    settings.STAFF_2FA_REQUIRED = False
    staff = make_staff(role=roles.BILLING_CLERK)
    assert _signed_in(staff).get("/admin/").status_code == 200


def test_production_refuses_to_run_without_it(settings):
    settings.STAFF_2FA_REQUIRED = False
    with pytest.raises(SystemCheckError, match=r"security\.E006"):
        call_command("check", "--deploy", "--fail-level", "ERROR", tags=["security"])
    settings.STAFF_2FA_REQUIRED = True
    call_command("check", tags=["security"])
