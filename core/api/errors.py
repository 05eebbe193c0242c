"""One JSON error shape for every API failure:

{"error": {"status": 400, "code": "invalid", "message": "…", "fields": {"phone": ["…"]}}}

``fields`` is present only for validation errors. Messages name fields, never echo submitted values
that could be personal data.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, SuspiciousOperation
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.defaults import bad_request, page_not_found, permission_denied, server_error
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler

from core.errors import UnanswerableQuery


def _from_django_validation_error(exc: DjangoValidationError) -> exceptions.ValidationError:
    """Model ``full_clean`` errors keep their field names; Django's ``__all__`` becomes DRF's key."""
    if hasattr(exc, "error_dict"):
        detail = {
            (api_settings.NON_FIELD_ERRORS_KEY if name == NON_FIELD_ERRORS else name): messages
            for name, messages in exc.message_dict.items()
        }
    else:
        detail = {api_settings.NON_FIELD_ERRORS_KEY: exc.messages}
    return exceptions.ValidationError(detail=detail)


def _as_api_exception(exc: Exception) -> Exception:
    if isinstance(exc, DjangoValidationError):
        return _from_django_validation_error(exc)
    if isinstance(exc, UnanswerableQuery):
        return exceptions.ValidationError(detail={api_settings.NON_FIELD_ERRORS_KEY: [exc.public_message]})
    if isinstance(exc, Http404):
        return exceptions.NotFound()
    if isinstance(exc, DjangoPermissionDenied):
        return exceptions.PermissionDenied()
    return exc


def json_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    exc = _as_api_exception(exc)
    response = exception_handler(exc, context)
    if response is None:
        return None
    detail = response.data
    fields = None
    if isinstance(exc, exceptions.ValidationError):
        code = "invalid"
        fields = detail if isinstance(detail, dict) else {api_settings.NON_FIELD_ERRORS_KEY: detail}
        message = "The request has invalid fields."
    else:
        codes = exc.get_codes() if isinstance(exc, exceptions.APIException) else "error"
        code = codes if isinstance(codes, str) else "error"
        message = str(detail.get("detail", "")) if isinstance(detail, dict) else str(detail)
    body = {"error": {"status": response.status_code, "code": code, "message": message}}
    if fields is not None:
        body["error"]["fields"] = fields
    response.data = body
    return response


API_PATH_PREFIX = "/api/"


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith(API_PATH_PREFIX)


def _is_problem_path(request: HttpRequest) -> bool:
    """Under a prefix of ``PROBLEM_DETAILS_PATH_PREFIXES`` (the OpenADR VTN), errors are RFC 7807 problems."""
    return request.path.startswith(tuple(settings.PROBLEM_DETAILS_PATH_PREFIXES))


def problem_json(*, status: int, detail: str) -> JsonResponse:
    """An RFC 7807 problem for the errors Django answers itself under a problem-details prefix."""
    body = {"type": "about:blank", "title": HTTPStatus(status).phrase, "status": status, "detail": detail}
    return JsonResponse(body, status=status)


def error_json(*, status: int, code: str, message: str) -> JsonResponse:
    """The error shape for answers Django gives before or after DRF (no route, request limits, faults)."""
    return JsonResponse({"error": {"status": status, "code": code, "message": message}}, status=status)


# Django's handler400/403/404/500: JSON in the error shape under /api/, Django's pages everywhere else.
# Plain Django views (URLs that match no route, SuspiciousOperation such as too many fields or a body
# over DATA_UPLOAD_MAX_MEMORY_SIZE, CSRF outside DRF, and exceptions DRF does not handle) never reach
# DRF's exception handler.


def bad_request_json(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _is_problem_path(request):
        return problem_json(status=400, detail="Bad request.")
    if _is_api(request):
        return error_json(status=status.HTTP_400_BAD_REQUEST, code="bad_request", message=str(_("Bad request.")))
    return bad_request_page(request, exception)


def bad_request_page(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """The hall's readable 400 page; Django's plain one when the request failed before authentication
    (e.g. a disallowed host), as the page's layout needs the user."""
    if not hasattr(request, "user"):
        return bad_request(request, exception or SuspiciousOperation())
    return render(request, "core/bad_request.html", status=status.HTTP_400_BAD_REQUEST)


def permission_denied_json(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _is_problem_path(request):
        return problem_json(status=403, detail="Permission denied.")
    if _is_api(request):
        return error_json(
            status=status.HTTP_403_FORBIDDEN, code="permission_denied", message=str(_("Permission denied."))
        )
    return permission_denied(request, exception or DjangoPermissionDenied())


def not_found_json(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _is_problem_path(request):
        return problem_json(status=404, detail="Not found.")
    if _is_api(request):
        return error_json(status=status.HTTP_404_NOT_FOUND, code="not_found", message="Not found.")
    return page_not_found(request, exception)


def server_error_json(request: HttpRequest) -> HttpResponse:
    """Nothing about the fault or the request in the body; the traceback goes to the error log."""
    if _is_problem_path(request):
        return problem_json(status=500, detail="Internal server error.")
    if _is_api(request):
        return error_json(
            status=status.HTTP_500_INTERNAL_SERVER_ERROR, code="server_error", message=str(_("Internal server error."))
        )
    return server_error(request)
