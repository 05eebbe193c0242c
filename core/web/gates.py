"""Who may open a staff page: signed-in, active staff holding the page's permissions."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

STAFF_LOGIN_URL = "admin:login"  # staff pages sign in through the staff console, not the business hall


def is_staff_member(user) -> bool:
    return bool(user.is_authenticated and user.is_active and user.is_staff)


def staff_permission_required(
    *permissions: str, any_of: bool = False, login_url: str = STAFF_LOGIN_URL, forbidden_template: str | None = None
) -> Callable:
    """Anonymous visitors go to the staff console's login page (``login_url``); staff without the
    permissions (all of them, or one of them with ``any_of``) and non-staff get 403 — Django's 403
    page, or ``forbidden_template`` rendered with status 403 when the page explains the refusal itself."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            user = request.user
            if not user.is_authenticated:
                return redirect_to_login(request.get_full_path(), login_url=login_url)
            held = [user.has_perm(permission) for permission in permissions]
            allowed = not permissions or (any(held) if any_of else all(held))
            if not (is_staff_member(user) and allowed):
                if forbidden_template is not None:
                    return render(request, forbidden_template, status=403)
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
