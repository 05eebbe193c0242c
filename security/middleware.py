"""Makes the signed-in user the actor of every audited write made while serving the request."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import resolve_url
from django.urls import reverse
from django.utils.functional import SimpleLazyObject

from core import clock
from core.web.client import client_ip
from security.context import Actor, acting_as
from security.models import AuditEvent
from security.services.audit import record_event
from security.services.sessions import session_expired
from security.services.two_factor import has_authenticator, needs_second_factor


class AuditActorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # The user is lazy: resolving it here would cost a session read on every static hit, so the
        # actor holds a lazy object, resolved only when something is audited — by then DRF has put the
        # API caller (token or session) on the request, so API writes are attributed too.
        user = SimpleLazyObject(lambda: getattr(request, "user", None))
        with acting_as(Actor(user=user, source_ip=client_ip(request))):
            return self.get_response(request)


class SessionLifetimeMiddleware:
    """Ends idle and too-old sessions (security.services.sessions): the user is signed out and sent to
    the login page (the admin's for staff pages) with ``?next=`` back."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            reason = session_expired(user=user, session=request.session, now=clock.now().timestamp())
            if reason is not None:
                record_event(
                    action=AuditEvent.Action.LOGOUT,
                    actor=user,
                    target=user,
                    request=request,
                    details={"expired": reason},
                )
                logout(request)
                login_url = (
                    reverse("admin:login") if request.path.startswith("/admin/") else resolve_url(settings.LOGIN_URL)
                )
                return redirect_to_login(request.get_full_path(), login_url)
        return self.get_response(request)


class StaffTwoFactorMiddleware:
    """Staff pages (/admin/, /staff/) need a second factor this session (STAFF_2FA_REQUIRED): a staff
    member without one goes to verification, or to enrolment if they have no authenticator yet. The
    admin's sign-in and sign-out and the two-factor pages themselves stay reachable."""

    PROTECTED = ("/admin/", "/staff/")
    OPEN = ("/admin/login/", "/admin/logout/", "/admin/jsi18n/", "/staff/security/2fa/")

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        path = request.path
        if path.startswith(self.PROTECTED) and not path.startswith(self.OPEN):
            user = getattr(request, "user", None)
            if user is not None and needs_second_factor(user=user) and not user.is_verified():
                step = "verify" if has_authenticator(user=user) else "setup"
                return redirect_to_login(request.get_full_path(), reverse(f"two_factor:{step}"))
        return self.get_response(request)
