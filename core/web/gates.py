"""Who may open a staff page: signed-in, active staff holding the page's permissions."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse


def is_staff_member(user) -> bool:
    return bool(user.is_authenticated and user.is_active and user.is_staff)


def staff_permission_required(*permissions: str, any_of: bool = False) -> Callable:
    """Anonymous visitors go to the login page; staff without the permissions (all of them, or one of
    them with ``any_of``) and non-staff get 403."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            user = request.user
            if not user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not is_staff_member(user):
                raise PermissionDenied
            held = [user.has_perm(permission) for permission in permissions]
            if permissions and not (any(held) if any_of else all(held)):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
