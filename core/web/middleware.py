"""Response policies applied to every dynamic response (static files are served before these run)."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_vary_headers

PRIVATE_NO_STORE = "private, no-store"


def _authenticated(request: HttpRequest) -> bool:
    # DRF writes the user it authenticated (session or token) back onto the Django request, so after
    # the view this is the API caller too.
    user = getattr(request, "user", None)
    return bool(getattr(user, "is_authenticated", False)) or "HTTP_AUTHORIZATION" in request.META


class PrivateNoStoreMiddleware:
    """Nothing served to a signed-in user (bills, PDFs, usage, API answers, personal data) may be kept
    by a shared cache, a proxy or the browser's disk cache: such responses are ``Cache-Control: private,
    no-store``, whatever the view set. Applied at the root so a new view cannot forget it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if _authenticated(request):
            directives = {d.strip().lower() for d in response.get("Cache-Control", "").split(",")}
            if "no-store" not in directives or "public" in directives:  # a view's own no-store stays
                response["Cache-Control"] = PRIVATE_NO_STORE
            response.headers.pop("Expires", None)
            patch_vary_headers(response, ("Cookie", "Authorization"))
        return response


class PermissionsPolicyMiddleware:
    """``Permissions-Policy`` (settings.PERMISSIONS_POLICY) on every response."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        return response
