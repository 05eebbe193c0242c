"""Staff two-factor pages: enrol an authenticator (first sign-in), verify a code (every session).

Thin: each POST makes one call into security.services.two_factor."""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.admin.views.decorators import staff_member_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters

from security.forms.two_factor import CodeForm
from security.models import User
from security.services import two_factor


def _staff(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)  # staff_member_required lets only signed-in staff through
    return user


def _next_url(request: HttpRequest) -> str:
    wanted = request.POST.get("next") or request.GET.get("next") or ""
    if wanted and url_has_allowed_host_and_scheme(
        wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return wanted
    return "/admin/"


@never_cache
@sensitive_post_parameters("code")
@staff_member_required
def setup(request: HttpRequest) -> HttpResponse:
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        codes = two_factor.confirm_enrolment(request=request, user=_staff(request), token=form.cleaned_data["code"])
        if codes is not None:
            return render(
                request,
                "security/two_factor/backup_codes.html",
                {**admin.site.each_context(request), "codes": codes, "next": _next_url(request)},
            )
        form.add_error("code", _("That code is not right. Check the time on your phone and try the newest code."))
    enrolment = two_factor.start_enrolment(user=_staff(request))
    return render(
        request,
        "security/two_factor/setup.html",
        {**admin.site.each_context(request), "form": form, "enrolment": enrolment, "next": _next_url(request)},
    )


@never_cache
@sensitive_post_parameters("code")
@staff_member_required
def verify(request: HttpRequest) -> HttpResponse:
    if not two_factor.has_authenticator(user=_staff(request)):
        return redirect(f"/staff/security/2fa/setup/?next={_next_url(request)}")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if two_factor.verify_second_factor(request=request, user=_staff(request), token=form.cleaned_data["code"]):
            messages.success(request, _("Second factor verified."))
            return redirect(_next_url(request))
        form.add_error(
            "code",
            _(
                "That code is not right (or a backup code already used). After several wrong codes you must wait before the next try."
            ),
        )
    return render(
        request,
        "security/two_factor/verify.html",
        {**admin.site.each_context(request), "form": form, "next": _next_url(request)},
    )
