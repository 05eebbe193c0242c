"""Errors the OpenADR way: the spec's ``problem`` object (RFC 7807: type, title, status, detail,
instance) for every failure under /openadr3/, and an audit record for every refusal (401, 403)."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler

from security.models import AuditEvent
from security.services.audit import record_event
from services.actions.openadr.errors import OpenADRError

TITLES = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    415: "Unsupported Media Type",
    429: "Too Many Requests",
    500: "Internal Server Error",
    501: "Not Implemented",
}
# The spec's responses are application/json with the problem schema; RFC 7807's own media type would
# fail a client (and the contract) that matches on application/json.
CONTENT_TYPE = "application/json"


class Problem(exceptions.APIException):
    """Raise anywhere in the OpenADR views: answered as a problem with this status and detail."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail=detail)
        self.status_code = status


def problem_body(*, status: int, detail: str, instance: str | None = None) -> dict:
    body = {"type": "about:blank", "title": TITLES.get(status, "Error"), "status": status, "detail": detail}
    if instance:
        body["instance"] = instance
    return body


def _messages(detail) -> list[str]:
    if isinstance(detail, dict):
        return [f"{name}: {message}" for name, value in detail.items() for message in _messages(value)]
    if isinstance(detail, list):
        return [message for item in detail for message in _messages(item)]
    return [str(detail)]


def _detail_of(exc: Exception) -> str:
    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "error_dict"):
            return "; ".join(
                f"{name}: {message}" if name != "__all__" else message
                for name, messages in exc.message_dict.items()
                for message in messages
            )
        return "; ".join(exc.messages)
    if isinstance(exc, exceptions.APIException):
        return "; ".join(_messages(exc.detail))
    return str(exc)


def audit_refusal(request, *, status: int, detail: str) -> None:
    token = getattr(request, "auth", None)
    client_id = getattr(getattr(token, "application", None), "client_id", "")
    record_event(
        action="openadr.refused",
        actor_label=client_id or "anonymous",
        object_type="openadr",
        object_id=request.path[:64],
        outcome=AuditEvent.Outcome.DENIED,
        request=request,
        details={"method": request.method, "path": request.path, "status": status, "reason": detail[:200]},
    )


def problem_exception_handler(exc, context):
    request = context["request"]
    if isinstance(exc, OpenADRError):
        status, detail = exc.status, exc.detail
    elif isinstance(exc, DjangoValidationError):
        status, detail = 400, _detail_of(exc)
    elif isinstance(exc, Http404):
        status, detail = 404, "Not found."
    else:
        response = exception_handler(exc, context)
        if response is None:
            return None
        status, detail = response.status_code, _detail_of(exc)
        if isinstance(exc, exceptions.ValidationError):
            detail = "Invalid request: " + detail
    if status in (401, 403):
        audit_refusal(request, status=status, detail=detail)
    response = Response(problem_body(status=status, detail=detail), status=status, content_type=CONTENT_TYPE)
    if status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="openadr3"'
    if isinstance(exc, exceptions.Throttled) and exc.wait:
        response["Retry-After"] = str(int(exc.wait) + 1)
    return response


def problem_response(*, status: int, detail: str) -> JsonResponse:
    """For the plain Django views (token endpoint, unknown paths)."""
    return JsonResponse(problem_body(status=status, detail=detail), status=status, content_type=CONTENT_TYPE)
