"""Response policies applied to every dynamic response (static files are served before these run)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext
from rest_framework import status

from core.api.errors import API_PATH_PREFIX, bad_request_page, not_found_json, problem_json
from core.time import InputDateError, check_input_date

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


NUL = "\x00"


class RejectNulCharactersMiddleware:
    """A NUL character can be neither stored nor searched in PostgreSQL ("A string literal cannot
    contain NUL"), so a request carrying one in its path or a query parameter is answered here, before
    any view or filter sends it to the database. A path with a NUL names nothing: 404, like any other
    malformed lookup. A query parameter with one is a 400 naming it: JSON under /api/, the readable
    400 page elsewhere. (Bodies: DRF's and Django's CharFields refuse NUL, and core.api.parsers
    refuses it anywhere in a JSON document.)"""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if NUL in request.path_info:
            return not_found_json(request, None)
        bad = sorted({key for key, values in request.GET.lists() if NUL in key or any(NUL in v for v in values)})
        if not bad:
            return self.get_response(request)
        message = gettext("Null characters are not allowed.")
        if request.path.startswith(tuple(settings.PROBLEM_DETAILS_PATH_PREFIXES)):
            return problem_json(status=status.HTTP_400_BAD_REQUEST, detail=f"{', '.join(bad)}: {message}")
        if not request.path.startswith(API_PATH_PREFIX):
            return bad_request_page(request)
        return JsonResponse(
            {
                "error": {
                    "status": status.HTTP_400_BAD_REQUEST,
                    "code": "invalid",
                    "message": "The request has invalid fields.",
                    "fields": {key.replace(NUL, "?"): [message] for key in bad},
                }
            },
            status=status.HTTP_400_BAD_REQUEST,
        )


_ISO_DATE_START = re.compile(r"\d{4}-\d{2}-\d{2}")
ADMIN_PATH_PREFIX = "/admin/"


class RejectUnusableAdminDatesMiddleware:
    """The admin console's change lists pass lookup parameters (``?occurred_at__gte=…``) straight to the
    ORM: a date-time whose UTC offset no zone has is a PostgreSQL DataError when the page renders, long
    after the admin's own check for bad lookups. Under ``/admin/``, a query value that is an ISO date or
    date-time outside core.time's input range is the readable 400 page instead. (Pages with their own
    forms and the API check their parameters themselves: core.web.forms, core.api.filters.)"""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info.startswith(ADMIN_PATH_PREFIX) and any(
            _unusable_date(value) for _name, values in request.GET.lists() for value in values
        ):
            return bad_request_page(request)
        return self.get_response(request)


def _unusable_date(value: str) -> bool:
    text = value.strip()
    if not _ISO_DATE_START.match(text):
        return False
    try:
        moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return False  # not a date at all: the admin's own lookup check answers it
    try:
        check_input_date(moment)
    except InputDateError:
        return True
    return False
