"""Binding accounts (户号) to business-hall users after proof of ownership."""

from __future__ import annotations

import datetime as dt
import hmac
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import translation
from django.utils.translation import gettext as _

from core.cache import increment
from core.web.client import client_ip
from customers.models import Account, PortalBinding
from customers.services import attempt_limits, phone_codes
from customers.sms import send_sms
from security.models import AuditEvent
from security.services.audit import record_event


class BindingError(Exception):
    """Binding refused; ``message`` is safe to show to the customer."""

    def __init__(self, message: str, *, code: str) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


@dataclass(frozen=True)
class CodeSent:
    """What the requester of a binding code is told: the same for every account number."""

    expires_in_seconds: int


def _attempt_subjects(*, user, request: HttpRequest | None) -> list[str]:
    """What a failed proof counts against: the requesting user and the client they come from, never
    the account number — or anyone could lock the real holder out of binding by failing on purpose."""
    subjects = [f"user:{user.pk}"]
    if (ip := client_ip(request)) is not None:
        subjects.append(f"client:{ip}")
    return subjects


def _check_rate_limit(*, user, request: HttpRequest | None, now: dt.datetime) -> None:
    for subject in _attempt_subjects(user=user, request=request):
        try:
            attempt_limits.refuse_if_reached(
                name="bind-attempts",
                subject=subject,
                limit=settings.BINDING_MAX_ATTEMPTS,
                window_seconds=settings.BINDING_ATTEMPT_WINDOW_SECONDS,
                now=now,
            )
        except attempt_limits.RateLimited as exc:
            raise BindingError(exc.message, code="rate_limited") from None


def _count_failure(*, user, request: HttpRequest | None, now: dt.datetime) -> None:
    for subject in _attempt_subjects(user=user, request=request):
        attempt_limits.count(
            name="bind-attempts", subject=subject, window_seconds=settings.BINDING_ATTEMPT_WINDOW_SECONDS, now=now
        )


def _tell_holder_of_failures(*, account_number: str) -> None:
    """Failed proofs against one account never lock it, but once they reach BINDING_MAX_ATTEMPTS in a
    window its holder is told (by SMS, else e-mail, to the contact on file), once per window."""
    account = _bindable_account(account_number)
    if account is None:
        return
    failures = increment(f"bind-failures:account:{account.number}", timeout=settings.BINDING_ATTEMPT_WINDOW_SECONDS)
    if failures < settings.BINDING_MAX_ATTEMPTS or not cache.add(
        f"bind-failures:told:{account.number}", 1, timeout=settings.BINDING_ATTEMPT_WINDOW_SECONDS
    ):
        return
    customer = account.customer
    with translation.override(settings.LANGUAGE_CODE):
        body = _(
            "Someone failed %(count)s times to prove they hold account %(number)s while binding it to "
            "another business-hall login. The account has not been bound. If this was not you, no "
            "action is needed; if you are worried, call 95598."
        ) % {"count": failures, "number": account.number}
        if customer.phone:
            send_sms(to=customer.phone, body=body)
        elif customer.email:
            send_mail(_("Failed attempts to bind your account"), body, None, [customer.email])
    record_event(
        action=AuditEvent.Action.BIND_FAILED,
        target=account,
        outcome=AuditEvent.Outcome.DENIED,
        details={"reason": "holder_notified", "failures": failures},
    )


def _fail(*, user, account_number: str, request: HttpRequest | None, reason: str, now: dt.datetime) -> BindingError:
    _count_failure(user=user, request=request, now=now)
    record_event(
        action=AuditEvent.Action.BIND_FAILED,
        actor=user,
        object_type="customers.account",
        object_id=account_number,
        outcome=AuditEvent.Outcome.DENIED,
        request=request,
        details={"reason": reason},
    )
    _tell_holder_of_failures(account_number=account_number)
    # One message for every failure, so nobody can learn which account numbers exist.
    return BindingError(_("The account number and proof do not match our records."), code="proof_mismatch")


def _bindable_account(account_number: str) -> Account | None:
    return (
        Account.objects.select_related("customer")
        .exclude(status=Account.Status.CLOSED)
        .filter(number=account_number.strip())
        .first()
    )


def _create_binding(
    *, user, account: Account, method: str, request: HttpRequest | None, now: dt.datetime
) -> PortalBinding:
    role = (
        PortalBinding.Role.MEMBER
        if account.bindings.filter(role=PortalBinding.Role.OWNER).exists()
        else PortalBinding.Role.OWNER
    )
    try:
        with transaction.atomic():
            binding = PortalBinding.objects.create(user=user, account=account, role=role, method=method)
    except IntegrityError:
        raise BindingError(_("This account is already bound to you."), code="already_bound") from None
    record_event(
        action=AuditEvent.Action.BIND,
        actor=user,
        target=account,
        request=request,
        details={"method": method, "role": role},
    )
    # The user's count starts again; the client's stays, as others may share the address.
    attempt_limits.forget(
        name="bind-attempts", subject=f"user:{user.pk}", window_seconds=settings.BINDING_ATTEMPT_WINDOW_SECONDS, now=now
    )
    return binding


def bind_account_with_id_number(
    *, user, account_number: str, id_number_last6: str, now: dt.datetime, request: HttpRequest | None = None
) -> PortalBinding:
    """Bind when the last 6 characters of the holder's ID number (or credit code) match."""
    _check_rate_limit(user=user, request=request, now=now)
    account = _bindable_account(account_number)
    supplied = id_number_last6.strip().upper()
    if account is None or not account.customer.id_number:
        raise _fail(user=user, account_number=account_number, request=request, reason="unknown_account", now=now)
    if len(supplied) != 6 or not hmac.compare_digest(account.customer.id_number.upper()[-6:], supplied):
        raise _fail(user=user, account_number=account_number, request=request, reason="id_mismatch", now=now)
    return _create_binding(user=user, account=account, method=PortalBinding.Method.ID_NUMBER, request=request, now=now)


def _code_subject(*, user, account_number: str) -> str:
    return f"{user.pk}:{account_number.strip()}"


def send_binding_code(*, user, account_number: str, now: dt.datetime, request: HttpRequest | None = None) -> CodeSent:
    """Text a 6-digit one-time code to the phone on file for the account's holder.

    The answer is the same whether or not the account exists and has a phone (nor is the number
    shown, even masked): otherwise anyone signed in could learn which account numbers exist and
    part of their holders' phones. Every request counts against the requester's limit.
    """
    _check_rate_limit(user=user, request=request, now=now)
    _count_failure(user=user, request=request, now=now)  # every code asked for counts against the limit
    sent = CodeSent(expires_in_seconds=settings.PHONE_CODE_TTL_SECONDS)
    account = _bindable_account(account_number)
    if account is None or not account.customer.phone:
        record_event(
            action=AuditEvent.Action.BIND_FAILED,
            actor=user,
            object_type="customers.account",
            object_id=account_number,
            outcome=AuditEvent.Outcome.DENIED,
            request=request,
            details={"reason": "no_phone_on_file"},
        )
        return sent
    try:
        phone_codes.count_text_to(phone=account.customer.phone, client=client_ip(request), now=now)
    except attempt_limits.RateLimited:
        return sent  # the holder's phone has had enough texts this window; the requester is not told why
    code = phone_codes.issue_code(
        purpose=phone_codes.BIND, subject=_code_subject(user=user, account_number=account.number)
    )
    send_sms(
        to=account.customer.phone,
        body=_(
            "Your verification code for binding account %(number)s is %(code)s. Valid for %(minutes)s minutes. Do not share it."
        )
        % {"number": account.number, "code": code, "minutes": settings.PHONE_CODE_TTL_SECONDS // 60},
    )
    return sent


def bind_account_with_code(
    *, user, account_number: str, code: str, now: dt.datetime, request: HttpRequest | None = None
) -> PortalBinding:
    _check_rate_limit(user=user, request=request, now=now)
    account = _bindable_account(account_number)
    proved = phone_codes.consume_code(
        purpose=phone_codes.BIND, subject=_code_subject(user=user, account_number=account_number), code=code
    )
    if account is None or not proved:
        raise _fail(user=user, account_number=account_number, request=request, reason="code_mismatch", now=now)
    return _create_binding(user=user, account=account, method=PortalBinding.Method.SMS_CODE, request=request, now=now)


def unbind_account(*, user, account_number: str, request: HttpRequest | None = None) -> None:
    binding = PortalBinding.objects.filter(user=user, account__number=account_number).select_related("account").first()
    if binding is None:
        raise BindingError(_("This account is not bound to you."), code="not_bound")
    account = binding.account
    binding.delete()
    record_event(action=AuditEvent.Action.UNBIND, actor=user, target=account, request=request)
