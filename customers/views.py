"""Business-hall pages (网上营业厅). Thin: parse a form, make one service call, render or redirect.

Accounts are only ever fetched through customers.access, so a page can never show another
customer's account, and a number that is not the user's own answers 404.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_ratelimit.decorators import ratelimit

from customers.access import (
    CURRENT_ACCOUNT_SESSION_KEY,
    access_account,
    accounts_visible_to,
    customer_required,
    is_portal_customer,
)
from customers.forms import (
    CodeProofForm,
    HallLoginForm,
    IdNumberProofForm,
    NotificationPreferencesForm,
    RegisterForm,
    SendCodeForm,
    SwitchAccountForm,
)
from customers.models import PortalBinding
from customers.services.binding import (
    BindingError,
    bind_account_with_code,
    bind_account_with_id_number,
    send_binding_code,
    unbind_account,
)
from customers.services.preferences import get_notification_preferences, set_notification_preferences
from customers.services.registration import register_portal_user
from security.masking import mask_phone

# Where the SMS method remembers, between "send code" and "enter code", which account it is for.
PENDING_CODE_SESSION_KEY = "binding_code_pending"
# Per-IP caps on top of the services' own per-user/per-account limits and django-axes' lockout:
# generous enough for a household behind one carrier NAT, tight enough to stop scripted guessing.
BIND_RATE = "20/h"
REGISTER_RATE = "10/h"
LOGIN_RATE = "60/h"


def limit_posts(*, group: str, rate: str) -> Callable:
    """Count POSTs per client IP (django-ratelimit); over the limit, answer 429 with a readable page."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def guarded(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if getattr(request, "limited", False):
                return render(request, "customers/rate_limited.html", status=429)
            return view(request, *args, **kwargs)

        return ratelimit(group=group, key="ip", rate=rate, method="POST", block=False)(guarded)

    return decorator


def _safe_next(request: HttpRequest, candidate: str | None, *, default: str) -> str:
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return default


def _bindings_of(user):
    """The user's bindings, restricted to accounts the access layer lets them reach."""
    return (
        PortalBinding.objects.filter(user=user, account__in=accounts_visible_to(user=user))
        .select_related("account", "account__area")
        .order_by("account__number")
    )


# --- landing, dashboard ------------------------------------------------------------------------


def dashboard(request: HttpRequest) -> HttpResponse:
    """The root URL: a landing page for visitors, one card per bound account for a customer."""
    if not request.user.is_authenticated:
        return render(request, "customers/landing.html")
    if not is_portal_customer(request.user):
        return render(request, "customers/not_customer.html", status=403)
    return render(request, "customers/dashboard.html", {"bindings": _bindings_of(request.user)})


@require_POST
@customer_required
def switch_account(request: HttpRequest) -> HttpResponse:
    form = SwitchAccountForm(request.POST)
    if not form.is_valid():
        raise Http404("No such account")
    account = access_account(user=request.user, account_number=form.cleaned_data["account_number"])
    request.session[CURRENT_ACCOUNT_SESSION_KEY] = account.number
    return redirect(_safe_next(request, form.cleaned_data["next"], default=reverse("hall:dashboard")))


# --- sign up, sign in ----------------------------------------------------------------------------


@limit_posts(group="hall.register", rate=REGISTER_RATE)
def register(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("hall:dashboard")
    form = RegisterForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            user = register_portal_user(
                phone=form.cleaned_data["phone"], password=form.cleaned_data["password"], request=request
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            login(request, user, backend="security.backends.PhoneOrUsernameBackend")
            messages.success(request, _("Welcome! Your registration is complete. Bind your first account to begin."))
            return redirect("hall:bind")
    return render(request, "customers/register.html", {"form": form})


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


# --- binding accounts ------------------------------------------------------------------------------


def _render_bind_page(
    request: HttpRequest,
    *,
    method: str,
    id_form: IdNumberProofForm | None = None,
    send_form: SendCodeForm | None = None,
    code_form: CodeProofForm | None = None,
) -> HttpResponse:
    pending = request.session.get(PENDING_CODE_SESSION_KEY)
    if pending and request.GET.get("change") == "1":
        pending = None  # "use another account number": show the first step again
    if pending and code_form is None:
        code_form = CodeProofForm(initial={"account_number": pending["account_number"]})
    context = {
        "method": method,
        "id_form": id_form or IdNumberProofForm(),
        "send_form": send_form or SendCodeForm(),
        "code_form": code_form if pending else None,
        "pending": pending,
    }
    return render(request, "customers/bind.html", context)


def _bound(request: HttpRequest, binding: PortalBinding) -> HttpResponse:
    request.session[CURRENT_ACCOUNT_SESSION_KEY] = binding.account.number
    messages.success(request, _("Account %(number)s is now bound to you.") % {"number": binding.account.number})
    return redirect("hall:dashboard")


@customer_required
def bind(request: HttpRequest) -> HttpResponse:
    method = "sms" if request.GET.get("method") == "sms" else "id"
    return _render_bind_page(request, method=method)


@require_POST
@customer_required
@limit_posts(group="hall.bind", rate=BIND_RATE)
def bind_with_id_number(request: HttpRequest) -> HttpResponse:
    form = IdNumberProofForm(request.POST)
    if form.is_valid():
        try:
            binding = bind_account_with_id_number(
                user=request.user,
                account_number=form.cleaned_data["account_number"],
                id_number_last6=form.cleaned_data["id_number_last6"],
                request=request,
            )
        except BindingError as exc:
            form.add_error(None, exc.message)
        else:
            return _bound(request, binding)
    return _render_bind_page(request, method="id", id_form=form)


@require_POST
@customer_required
@limit_posts(group="hall.bind", rate=BIND_RATE)
def bind_send_code(request: HttpRequest) -> HttpResponse:
    form = SendCodeForm(request.POST)
    if form.is_valid():
        account_number = form.cleaned_data["account_number"]
        try:
            sent = send_binding_code(user=request.user, account_number=account_number, request=request)
        except BindingError as exc:
            form.add_error(None, exc.message)
        else:
            request.session[PENDING_CODE_SESSION_KEY] = {
                "account_number": account_number,
                "masked_phone": sent.masked_phone,
                "minutes": max(1, sent.expires_in_seconds // 60),
            }
            return redirect(reverse("hall:bind") + "?method=sms")
    return _render_bind_page(request, method="sms", send_form=form)


@require_POST
@customer_required
@limit_posts(group="hall.bind", rate=BIND_RATE)
def bind_with_code(request: HttpRequest) -> HttpResponse:
    form = CodeProofForm(request.POST)
    if form.is_valid():
        try:
            binding = bind_account_with_code(
                user=request.user,
                account_number=form.cleaned_data["account_number"],
                code=form.cleaned_data["code"],
                request=request,
            )
        except BindingError as exc:
            form.add_error(None, exc.message)
        else:
            request.session.pop(PENDING_CODE_SESSION_KEY, None)
            return _bound(request, binding)
    return _render_bind_page(request, method="sms", code_form=form)


# --- my accounts -----------------------------------------------------------------------------------


@customer_required
def account_list(request: HttpRequest) -> HttpResponse:
    return render(request, "customers/accounts.html", {"bindings": _bindings_of(request.user)})


@customer_required
def unbind(request: HttpRequest, account_number: str) -> HttpResponse:
    """GET asks for confirmation (works without JavaScript); POST removes the binding."""
    account = access_account(user=request.user, account_number=account_number)
    if request.method == "POST":
        try:
            unbind_account(user=request.user, account_number=account.number, request=request)
        except BindingError as exc:
            messages.error(request, exc.message)
        else:
            if request.session.get(CURRENT_ACCOUNT_SESSION_KEY) == account.number:
                del request.session[CURRENT_ACCOUNT_SESSION_KEY]
            messages.success(request, _("Account %(number)s has been removed.") % {"number": account.number})
        return redirect("hall:accounts")
    return render(request, "customers/unbind_confirm.html", {"account": account})


# --- profile -----------------------------------------------------------------------------------------


@customer_required
def profile(request: HttpRequest) -> HttpResponse:
    """Masked phone, password link, and the notification-preferences grid (saved on POST)."""
    form = NotificationPreferencesForm(
        request.POST if request.method == "POST" else None, initial_grid=get_notification_preferences(user=request.user)
    )
    if request.method == "POST" and form.is_valid():
        set_notification_preferences(user=request.user, enabled=form.enabled_pairs())
        messages.success(request, _("Your notification preferences have been saved."))
        return redirect("hall:profile")
    context = {
        "form": form,
        "masked_phone": mask_phone(request.user.phone),
        "account_count": accounts_visible_to(user=request.user).count(),
    }
    return render(request, "customers/profile.html", context)
