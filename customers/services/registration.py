"""Self-service registration of business-hall users: they prove they hold a mobile number by an SMS code
before any account exists, and consent to the privacy notice (PIPL).

Nothing a requester sees depends on whether the number is registered already: a free number gets a
code, a taken one gets a text telling its holder that someone tried (log in, or reset the password),
and both requesters see the same "code sent" page; a code typed for a taken number is simply wrong.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import translation
from django.utils.translation import gettext as _

from core.web.client import client_ip
from customers.models import PrivacyConsent
from customers.services import phone_codes
from customers.sms import send_sms
from customers.validators import validate_mobile
from security.models import AuditEvent
from security.normalize import normalize_phone
from security.services.audit import record_event


@dataclass(frozen=True)
class CodeRequested:
    """What the requester is told, the same whether or not the number has a login."""

    phone: str  # normalised, as they typed it
    expires_in_seconds: int

    @property
    def minutes(self) -> int:
        return max(1, self.expires_in_seconds // 60)


def wrong_code_error() -> ValidationError:
    return ValidationError(_("The verification code is wrong or has expired."), code="wrong_code")


def normalized_mobile(phone: str) -> str:
    """The number in canonical form, or ``ValidationError`` keyed ``phone``."""
    normalized = normalize_phone(phone)
    try:
        validate_mobile(normalized)
    except ValidationError as exc:
        raise ValidationError({"phone": exc.error_list}) from None
    return normalized


def start_registration(*, phone: str, now: dt.datetime, request: HttpRequest | None = None) -> CodeRequested:
    """Text a registration code to a free number, or a notice to the holder of a taken one.

    Raises ``ValidationError`` (``phone``) for a malformed number and ``phone_codes.RateLimited`` past
    the per-phone limit, which counts both kinds of text alike.
    """
    normalized = normalized_mobile(phone)
    phone_codes.count_text_to(phone=normalized, client=client_ip(request), now=now)
    if get_user_model().objects.matching("phone", normalized).exists():
        # The holder reads this, not the requester: in the site's language.
        with translation.override(settings.LANGUAGE_CODE):
            send_sms(
                to=normalized,
                body=_(
                    "Someone tried to register a business-hall login with this mobile number, which already "
                    "has one. If it was you, log in, or use “Forgot password” on the login page. If not, "
                    "no action is needed."
                ),
            )
    else:
        code = phone_codes.issue_code(purpose=phone_codes.REGISTER, subject=normalized)
        send_sms(
            to=normalized,
            body=_(
                "Your verification code to register with the business hall is %(code)s, valid for "
                "%(minutes)s minutes. Do not share it with anyone."
            )
            % {"code": code, "minutes": settings.PHONE_CODE_TTL_SECONDS // 60},
        )
    return CodeRequested(phone=normalized, expires_in_seconds=settings.PHONE_CODE_TTL_SECONDS)


def complete_registration(
    *,
    phone: str,
    code: str,
    password: str,
    notice_version: str,
    consented_at: dt.datetime,
    request: HttpRequest | None = None,
):
    """Create a customer-kind user who signs in with ``phone``, once ``code`` proves they hold it, and
    record their consent to privacy notice ``notice_version`` given at ``consented_at``.

    Raises ``ValidationError`` keyed by field (``code``, ``password``). A weak password is refused
    before the code is tried, so fixing it does not need a new code. The username is an opaque
    handle: the number is stored only encrypted, never in a plaintext column.
    """
    user_model = get_user_model()
    normalized = normalize_phone(phone)
    user = user_model(username=f"c_{secrets.token_hex(8)}", kind=user_model.Kind.CUSTOMER, phone=normalized)
    try:
        validate_password(password, user=user)
    except ValidationError as exc:
        raise ValidationError({"password": exc.error_list}) from None
    if not phone_codes.consume_code(purpose=phone_codes.REGISTER, subject=normalized, code=code):
        raise ValidationError({"code": [wrong_code_error()]})
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
            consent = PrivacyConsent.objects.create(user=user, notice_version=notice_version, accepted_at=consented_at)
    except IntegrityError:
        # The number was registered since its code was sent (two sign-ups at once): the blind index's
        # unique constraint decides, and the loser's code is as good as wrong.
        raise ValidationError({"code": [wrong_code_error()]}) from None
    record_event(
        action=AuditEvent.Action.CREATE,
        actor=user,
        target=user,
        request=request,
        details={"via": "register", "phone_verified": "sms_code"},
    )
    record_event(
        action=AuditEvent.Action.CREATE,
        actor=user,
        target=consent,
        request=request,
        details={"consent": "privacy_notice", "notice_version": notice_version},
    )
    return user
