"""Resetting a business-hall password by an SMS code to the registered mobile number.

The requester is told the same thing whether or not the number has a login (a code is texted only
when it has one, a notice otherwise); a new password ends every session the user holds
(security.services.sessions) and any login lockout of the number (django-axes).
"""

from __future__ import annotations

import datetime as dt

from axes.utils import reset as axes_reset
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils import translation
from django.utils.translation import gettext as _

from core.web.client import client_ip
from customers.services import phone_codes
from customers.services.registration import CodeRequested, normalized_mobile, wrong_code_error
from customers.sms import send_sms
from security.backends import axes_username_from_credentials
from security.models import AuditEvent
from security.normalize import normalize_phone
from security.services.audit import record_event
from security.services.sessions import end_all_sessions


def _customer_with_phone(phone: str):
    """The active business-hall customer who signs in with ``phone`` (staff reset elsewhere)."""
    user_model = get_user_model()
    return user_model.objects.matching("phone", phone).filter(kind=user_model.Kind.CUSTOMER, is_active=True).first()


def start_password_reset(*, phone: str, now: dt.datetime, request: HttpRequest | None = None) -> CodeRequested:
    """Text a reset code to ``phone`` when a customer signs in with it; say the same either way.

    Raises ``ValidationError`` (``phone``) for a malformed number and ``phone_codes.RateLimited`` past
    the per-phone limit (counted for every request, registered number or not).
    """
    normalized = normalized_mobile(phone)
    phone_codes.count_text_to(phone=normalized, client=client_ip(request), now=now)
    if _customer_with_phone(normalized) is not None:
        code = phone_codes.issue_code(purpose=phone_codes.RECOVERY, subject=normalized)
        send_sms(
            to=normalized,
            body=_(
                "Your verification code to reset your business-hall password is %(code)s, valid for "
                "%(minutes)s minutes. If you did not ask for it, ignore this message and do not share it."
            )
            % {"code": code, "minutes": settings.PHONE_CODE_TTL_SECONDS // 60},
        )
    else:
        # A text either way, so the time the answer takes says nothing either; its holder learns why.
        with translation.override(settings.LANGUAGE_CODE):
            send_sms(
                to=normalized,
                body=_(
                    "Someone asked to reset the business-hall password of this mobile number, but no login "
                    "uses it. To create one, register in the business hall. If it was not you, no action is "
                    "needed."
                ),
            )
    return CodeRequested(phone=normalized, expires_in_seconds=settings.PHONE_CODE_TTL_SECONDS)


def complete_password_reset(*, phone: str, code: str, new_password: str, request: HttpRequest | None = None):
    """Set ``new_password`` once ``code`` proves the caller holds ``phone``; every session of the user
    ends. Raises ``ValidationError`` keyed ``code`` or ``new_password``."""
    normalized = normalize_phone(phone)
    user = _customer_with_phone(normalized)
    try:
        validate_password(new_password, user=user)
    except ValidationError as exc:
        raise ValidationError({"new_password": exc.error_list}) from None
    # No login, no code was sent: the check fails like a wrong code, and says nothing more.
    if not phone_codes.consume_code(purpose=phone_codes.RECOVERY, subject=normalized, code=code) or user is None:
        raise ValidationError({"code": [wrong_code_error()]})
    user.set_password(new_password)
    user.save(update_fields=["password"])
    end_all_sessions(user_ids=[user.pk])
    # Whoever proved the number may sign in at once: a lockout earned by failed passwords ends with them.
    axes_reset(username=axes_username_from_credentials({"username": normalized}))
    record_event(
        action=AuditEvent.Action.UPDATE,
        actor=user,
        target=user,
        request=request,
        details={"via": "password_reset", "fields": ["password"], "sessions_ended": True},
    )
    return user
