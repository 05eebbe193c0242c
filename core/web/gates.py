"""Who may open a staff page: signed-in, active staff holding the page's permissions."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

View = Callable[..., HttpResponse]
STAFF_LOGIN_URL = "admin:login"  # staff pages sign in through the staff console, not the business hall


def is_staff_member(user: AbstractBaseUser | AnonymousUser) -> bool:
    return bool(user.is_authenticated and user.is_active and getattr(user, "is_staff", False))


def staff_permission_required(
    *permissions: str, any_of: bool = False, login_url: str = STAFF_LOGIN_URL, forbidden_template: str | None = None
) -> Callable[[View], View]:
    """Anonymous visitors go to the staff console's login page (``login_url``); staff without the
    permissions (all of them, or one of them with ``any_of``) and non-staff get 403 — Django's 403
    page, or ``forbidden_template`` rendered with status 403 when the page explains the refusal itself."""

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
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
