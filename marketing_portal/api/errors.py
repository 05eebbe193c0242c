"""One JSON error shape for every API failure:

{"error": {"status": 400, "code": "invalid", "message": "…", "fields": {"phone": ["…"]}}}
"""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

from security.fields import EncryptedLookupError


def json_exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(detail=exc.message_dict if hasattr(exc, "error_dict") else exc.messages)
    if isinstance(exc, EncryptedLookupError):
        exc = exceptions.ValidationError(detail={"non_field_errors": ["This field cannot be searched or ordered."]})
    response = exception_handler(exc, context)
    if response is None:
        return None
    detail = response.data
    fields = None
    if isinstance(exc, exceptions.ValidationError):
        code = "invalid"
        fields = detail if isinstance(detail, dict) else {"non_field_errors": detail}
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


def not_found_json(request, exception=None):
    return Response(
        {"error": {"status": 404, "code": "not_found", "message": "Not found."}}, status=status.HTTP_404_NOT_FOUND
    )
