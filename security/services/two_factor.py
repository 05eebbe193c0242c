"""Staff two-factor authentication (等保 2.0 level 3 identity; ASVS 4.0.3 V2.7/V2.8) on django-otp.

A staff member's second factor is a TOTP authenticator app (django-otp's TOTPDevice, with its
throttling after failed codes) plus one-time backup codes (a StaticDevice) for a lost phone. The
admin console and the staff pages ask for a code once per session (security.middleware); the first
sign-in enrols. Only a security administrator — never the staff member themself — can reset it, and
that ends the member's sessions. Every step is audited, without the codes.
"""

from __future__ import annotations

import io
from base64 import b32encode
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django_otp import login as otp_login
from django_otp import match_token
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp.qr import write_qrcode_image

from security.models import AuditEvent, User
from security.services.audit import record_event
from security.services.sessions import end_all_sessions

AUTHENTICATOR = "authenticator"
BACKUP = "backup"


class TwoFactorRefused(Exception):
    """A reset the acting user may not make; the message says why."""


def needs_second_factor(*, user: User) -> bool:
    """Staff (admin console users) must verify a second factor when the setting requires it."""
    return bool(settings.STAFF_2FA_REQUIRED and user.is_authenticated and user.is_staff)


def has_authenticator(*, user: User) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


@dataclass(frozen=True)
class Enrolment:
    device: TOTPDevice
    secret_base32: str  # for typing into an app that cannot scan
    qr_svg: SafeString  # our own generated SVG of the otpauth:// URL


def start_enrolment(*, user: User) -> Enrolment:
    """The unconfirmed authenticator of ``user`` (made on first call, the same one on a reload)."""
    device, _created = TOTPDevice.objects.get_or_create(user=user, confirmed=False, defaults={"name": AUTHENTICATOR})
    buffer = io.BytesIO()
    write_qrcode_image(device.config_url, buffer)
    svg = buffer.getvalue().decode()
    svg = svg[svg.index("<svg") :]  # drop the XML declaration: the markup is inlined in the page
    secret = _base32(device.bin_key)
    return Enrolment(device=device, secret_base32=secret, qr_svg=mark_safe(svg))  # noqa: S308 — generated here


def _base32(key: bytes) -> str:
    return b32encode(key).decode().rstrip("=")


@transaction.atomic
def confirm_enrolment(*, request: HttpRequest, user: User, token: str) -> list[str] | None:
    """Confirm the pending authenticator with a code from it; returns the new backup codes (shown once),
    or None when the code is wrong. The session then counts as verified and gets a new key."""
    device = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=False).first()
    if device is None or not device.verify_token(token.strip()):
        _refused(request=request, user=user, step="enrolment")
        return None
    TOTPDevice.objects.filter(user=user, confirmed=True).delete()  # one authenticator per person
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    codes = _new_backup_codes(user=user)
    _verified(request=request, device=device)
    record_event(action=AuditEvent.Action.OTP_ENROLLED, actor=user, target=user, request=request)
    return codes


def _new_backup_codes(*, user: User) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    backup = StaticDevice.objects.create(user=user, name=BACKUP, confirmed=True)
    codes = [StaticToken.random_token() for _ in range(settings.STAFF_2FA_BACKUP_CODES)]
    StaticToken.objects.bulk_create([StaticToken(device=backup, token=code) for code in codes])
    return codes


def verify_second_factor(*, request: HttpRequest, user: User, token: str) -> bool:
    """Check a TOTP or backup code (a backup code works once); audited either way."""
    device = match_token(user, token.strip().replace(" ", ""))
    if device is None:
        _refused(request=request, user=user, step="sign-in")
        return False
    _verified(request=request, device=device)
    record_event(
        action=AuditEvent.Action.OTP_VERIFIED,
        actor=user,
        target=user,
        request=request,
        details={"factor": "backup code" if isinstance(device, StaticDevice) else "authenticator"},
    )
    return True


def _refused(*, request: HttpRequest, user: User, step: str) -> None:
    record_event(
        action=AuditEvent.Action.OTP_FAILED,
        actor=user,
        target=user,
        outcome=AuditEvent.Outcome.FAILURE,
        request=request,
        details={"step": step},
    )


def _verified(*, request: HttpRequest, device: TOTPDevice | StaticDevice) -> None:
    request.session.cycle_key()  # a raised privilege gets a new session key
    otp_login(request, device)


def reset_two_factor(*, target: User, by: User, request: HttpRequest | None = None) -> None:
    """Remove ``target``'s authenticator and backup codes (they enrol again at next sign-in) and end
    their sessions. Security administrators only, and not for themselves."""
    if target.pk == by.pk:
        raise TwoFactorRefused(
            _("Nobody can reset their own two-factor authentication; ask another security administrator.")
        )
    if not by.has_perm("security.reset_two_factor"):
        raise TwoFactorRefused(_("Only a security administrator can reset two-factor authentication."))
    with transaction.atomic():
        TOTPDevice.objects.filter(user=target).delete()
        StaticDevice.objects.filter(user=target).delete()
        end_all_sessions(user_ids=[target.pk])
        record_event(action=AuditEvent.Action.OTP_RESET, actor=by, target=target, request=request)
