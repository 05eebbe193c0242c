"""Self-service registration of business-hall users (customers sign up with their mobile number)."""

from __future__ import annotations

import secrets

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _

from customers.validators import validate_mobile
from security.models import AuditEvent
from security.normalize import normalize_phone
from security.services.audit import record_event


def _phone_taken_error() -> ValidationError:
    return ValidationError(_("This mobile number is already registered. Please log in instead."), code="phone_taken")


def register_portal_user(*, phone: str, password: str, request: HttpRequest | None = None):
    """Create a customer-kind user who signs in with ``phone``.

    Raises ``ValidationError`` keyed by field (``phone``, ``password``) with every problem found,
    so a form can show all of them at once. The username is an opaque handle: the phone number
    is stored only encrypted, never in a plaintext column.
    """
    user_model = get_user_model()
    normalized = normalize_phone(phone)
    errors: dict[str, list[ValidationError]] = {}
    try:
        validate_mobile(normalized)
    except ValidationError as exc:
        errors["phone"] = exc.error_list
    else:
        if user_model.objects.matching("phone", normalized).exists():
            errors["phone"] = [_phone_taken_error()]
    user = user_model(username=f"c_{secrets.token_hex(8)}", kind=user_model.Kind.CUSTOMER, phone=normalized)
    try:
        validate_password(password, user=user)
    except ValidationError as exc:
        errors["password"] = exc.error_list
    if errors:
        raise ValidationError(errors)
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:
        # Two sign-ups with the same number at once: the blind index's unique constraint decides.
        raise ValidationError({"phone": [_phone_taken_error()]}) from None
    record_event(action=AuditEvent.Action.CREATE, actor=user, target=user, request=request, details={"via": "register"})
    return user
