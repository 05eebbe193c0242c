"""Signing up (mobile number proved by an SMS code first), signing in, changing and resetting the password."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _

from core import clock
from customers.access import customer_required
from customers.forms.hall import (
    HallLoginForm,
    PasswordResetCompleteForm,
    PasswordResetStartForm,
    RegisterCompleteForm,
    RegisterStartForm,
)
from customers.services import attempt_limits, phone_codes
from customers.services.password_reset import complete_password_reset, start_password_reset
from customers.services.registration import CodeRequested, complete_registration, start_registration
from customers.views.rate_limits import LOGIN_RATE, REGISTER_RATE, RESET_RATE, limit_posts
from security.masking import mask_phone

# Between "send code" and "enter code": the number (encrypted) and, for registration, the consent.
REGISTER_PENDING_KEY = "register_pending"
RESET_PENDING_KEY = "password_reset_pending"


def _remember_pending(request: HttpRequest, *, key: str, purpose: str, sent: CodeRequested, **extra) -> None:
    request.session[key] = {
        "phone": phone_codes.seal_phone(phone=sent.phone, purpose=purpose),
        "masked_phone": mask_phone(sent.phone),
        "minutes": sent.minutes,
        **extra,
    }


def _pending_phone(request: HttpRequest, *, key: str, purpose: str) -> tuple[dict, str] | None:
    """The flow's pending details and the number, or None (no flow started, or its seal fails)."""
    pending: dict | None = request.session.get(key)
    if not pending:
        return None
    phone = phone_codes.unseal_phone(sealed=pending["phone"], purpose=purpose)
    return (pending, phone) if phone else None


def _refused(form, exc: attempt_limits.RateLimited) -> int:
    form.add_error(None, exc.message)
    return 429


# --- registration ---------------------------------------------------------------------------------


@limit_posts(group="hall.register", rate=REGISTER_RATE)
def register(request: HttpRequest) -> HttpResponse:
    """Step 1: the number and the privacy consent; then "code sent", whether or not it is taken."""
    if request.user.is_authenticated:
        return redirect("hall:dashboard")
    form = RegisterStartForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST" and form.is_valid():
        now = clock.now()
        try:
            sent = start_registration(phone=form.cleaned_data["phone"], now=now, request=request)
        except ValidationError as exc:
            form.add_error(None, exc)
        except attempt_limits.RateLimited as exc:
            status = _refused(form, exc)
        else:
            _remember_pending(
                request,
                key=REGISTER_PENDING_KEY,
                purpose=phone_codes.REGISTER,
                sent=sent,
                notice_version=settings.PRIVACY_NOTICE_VERSION,
                consented_at=now.isoformat(),
            )
            return redirect("hall:register_verify")
    return render(request, "customers/register.html", {"form": form}, status=status)


@limit_posts(group="hall.register", rate=REGISTER_RATE)
def register_verify(request: HttpRequest) -> HttpResponse:
    """Step 2: the code from the text and a password; the login exists only after this."""
    if request.user.is_authenticated:
        return redirect("hall:dashboard")
    found = _pending_phone(request, key=REGISTER_PENDING_KEY, purpose=phone_codes.REGISTER)
    if found is None:
        return redirect("hall:register")
    pending, phone = found
    form = RegisterCompleteForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            user = complete_registration(
                phone=phone,
                code=form.cleaned_data["code"],
                password=form.cleaned_data["password"],
                notice_version=pending["notice_version"],
                consented_at=dt.datetime.fromisoformat(pending["consented_at"]),
                request=request,
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            del request.session[REGISTER_PENDING_KEY]
            login(request, user, backend="security.backends.PhoneOrUsernameBackend")
            messages.success(request, _("Welcome! Your registration is complete. Bind your first account to begin."))
            return redirect("hall:bind")
    return render(request, "customers/register_verify.html", {"form": form, "pending": pending})


# --- password reset -------------------------------------------------------------------------------


@limit_posts(group="hall.password_reset", rate=RESET_RATE)
def password_reset(request: HttpRequest) -> HttpResponse:
    """Step 1 of "forgot password": the number; then "code sent", whether or not it has a login."""
    form = PasswordResetStartForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            sent = start_password_reset(phone=form.cleaned_data["phone"], now=clock.now(), request=request)
        except ValidationError as exc:
            form.add_error(None, exc)
        except attempt_limits.RateLimited as exc:
            status = _refused(form, exc)
        else:
            _remember_pending(request, key=RESET_PENDING_KEY, purpose=phone_codes.RECOVERY, sent=sent)
            return redirect("hall:password_reset_verify")
    return render(request, "customers/password_reset.html", {"form": form}, status=status)


@limit_posts(group="hall.password_reset", rate=RESET_RATE)
def password_reset_verify(request: HttpRequest) -> HttpResponse:
    """Step 2: the code and the new password; every session of the user ends, then the login page."""
    found = _pending_phone(request, key=RESET_PENDING_KEY, purpose=phone_codes.RECOVERY)
    if found is None:
        return redirect("hall:password_reset")
    pending, phone = found
    form = PasswordResetCompleteForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            complete_password_reset(
                phone=phone,
                code=form.cleaned_data["code"],
                new_password=form.cleaned_data["new_password"],
                request=request,
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            request.session.flush()  # whoever held this browser's session is signed out too
            messages.success(request, _("Your password has been reset. Please log in with the new password."))
            return redirect("hall:login")
    return render(request, "customers/password_reset_verify.html", {"form": form, "pending": pending})


# --- signing in and changing the password --------------------------------------------------------


@method_decorator(limit_posts(group="hall.login", rate=LOGIN_RATE), name="dispatch")
class HallLoginView(auth_views.LoginView):
    template_name = "customers/login.html"
    authentication_form = HallLoginForm
    redirect_authenticated_user = True


class HallPasswordChangeView(auth_views.PasswordChangeView):
    template_name = "customers/password_change.html"
    success_url = reverse_lazy("hall:profile")

    def form_valid(self, form):
        response = super().form_valid(form)
        messages.success(self.request, _("Your password has been changed."))
        return response


password_change = customer_required(HallPasswordChangeView.as_view())


def privacy_notice(request: HttpRequest) -> HttpResponse:
    return render(request, "customers/privacy.html", {"notice_version": settings.PRIVACY_NOTICE_VERSION})
