"""The customer's accounts: binding one (ID-number or SMS-code proof), switching between them, the list
and unbinding."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core import clock
from customers.access import CURRENT_ACCOUNT_SESSION_KEY, access_account, customer_required
from customers.forms.hall import CodeProofForm, IdNumberProofForm, SendCodeForm, SwitchAccountForm
from customers.models import PortalBinding
from customers.selectors.accounts import bindings_of
from customers.services.binding import (
    BindingError,
    bind_account_with_code,
    bind_account_with_id_number,
    send_binding_code,
    unbind_account,
)
from customers.views.rate_limits import BIND_RATE, limit_posts

# Where the SMS method remembers, between "send code" and "enter code", which account it is for.
PENDING_CODE_SESSION_KEY = "binding_code_pending"


def _safe_next(request: HttpRequest, candidate: str | None, *, default: str) -> str:
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return default


# --- switching ---------------------------------------------------------------------------------------


@require_POST
@customer_required
def switch_account(request: HttpRequest) -> HttpResponse:
    form = SwitchAccountForm(request.POST)
    if not form.is_valid():
        raise Http404("No such account")
    account = access_account(user=request.user, account_number=form.cleaned_data["account_number"])
    request.session[CURRENT_ACCOUNT_SESSION_KEY] = account.number
    return redirect(_safe_next(request, form.cleaned_data["next"], default=reverse("hall:dashboard")))


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
                now=clock.now(),
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
            sent = send_binding_code(user=request.user, account_number=account_number, now=clock.now(), request=request)
        except BindingError as exc:
            form.add_error(None, exc.message)
        else:
            request.session[PENDING_CODE_SESSION_KEY] = {
                "account_number": account_number,
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
                now=clock.now(),
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
    return render(request, "customers/accounts.html", {"bindings": bindings_of(user=request.user)})


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
