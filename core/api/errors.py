"""One JSON error shape for every API failure:

{"error": {"status": 400, "code": "invalid", "message": "…", "fields": {"phone": ["…"]}}}

``fields`` is present only for validation errors. Messages name fields, never echo submitted values
that could be personal data.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views.defaults import page_not_found
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


def not_found_json(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """``handler404`` candidate: JSON in the error shape under /api/, Django's page everywhere else.

    Plain Django view (URLs that match no route never reach DRF), so it returns a JsonResponse.
    """
    if request.path.startswith("/api/"):
        return JsonResponse(
            {"error": {"status": 404, "code": "not_found", "message": "Not found."}}, status=status.HTTP_404_NOT_FOUND
        )
    return page_not_found(request, exception)
