"""The OpenAPI schema documents every error an operation can answer, in the one error shape.

drf-spectacular lists only the success response unless a view says more; clients (and schemathesis)
then meet undocumented 400s, 403s and 500s. ``ErrorDocumentingAutoSchema`` adds, to every operation,
the error statuses DRF and our handlers can produce there, each with the ``ApiError`` body of
``core.api.errors``; a description a view already gave for a status is kept.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers


class ApiErrorDetailSerializer(serializers.Serializer):  # type: ignore[type-arg]
    status = serializers.IntegerField(help_text="The HTTP status, repeated.")
    code = serializers.CharField(help_text="Machine-readable: invalid, not_found, permission_denied, throttled, …")
    message = serializers.CharField(help_text="Human-readable, in the request's language.")
    # The declared field is popped by DRF's metaclass; only the stubs see it shadow Serializer.fields.
    fields = serializers.DictField(  # type: ignore[assignment]
        child=serializers.JSONField(),
        required=False,
        help_text="Validation errors only: messages by field name (nested fields nest; list items by index).",
    )


class ApiErrorSerializer(serializers.Serializer):  # type: ignore[type-arg]
    error = ApiErrorDetailSerializer()


# Statuses any operation can answer, whatever the view: malformed requests and field errors (DRF's
# parsers, Django's request limits), refusals (permissions, CSRF, a bad token), content negotiation,
# and an unexpected fault (core.api.errors.server_error_json answers it in the same shape).
ALWAYS = {
    400: "Invalid input: `error.fields` names each bad field, or the request is malformed.",
    403: "Not signed in, or not allowed (`error.code` says which).",
    406: "None of the Accept header's media types can be produced.",
    500: "Unexpected fault on our side, in the error shape (nothing about the request is echoed).",
}
NOT_FOUND = "No such object among those the caller may see, or no such page of the list."
UNSUPPORTED_MEDIA_TYPE = "The request body's Content-Type is not accepted here."
THROTTLED = "Too many requests; `Retry-After` says when to try again."
# core.api.idempotency: the same key with another body, and a retry while the first call still runs.
IDEMPOTENCY = {
    409: "The first call with this Idempotency-Key is still running; retry later.",
    422: "This Idempotency-Key was used with another body.",
}


class ErrorDocumentingAutoSchema(AutoSchema):
    def _error_statuses(self) -> dict[int, str]:
        statuses = dict(ALWAYS)
        if self._has_path_parameters() or self._is_list_view():
            statuses[404] = NOT_FOUND
        if self.method in {"POST", "PUT", "PATCH"}:
            statuses[415] = UNSUPPORTED_MEDIA_TYPE
        if self.view.get_throttles():
            statuses[429] = THROTTLED
        if any(getattr(p, "name", None) == "Idempotency-Key" for p in self.get_override_parameters()):
            statuses.update(IDEMPOTENCY)
        return statuses

    def _has_path_parameters(self) -> bool:
        return "{" in self.path

    def _get_response_bodies(self, direction: Any = "response") -> dict[str, Any]:
        responses: dict[str, Any] = super()._get_response_bodies(direction)
        statuses = self._error_statuses()
        # An error status a view documents with a description only (e.g. 409 "refused: state") has
        # the same body as every other error.
        for code in responses:
            if code.isdigit() and int(code) >= 400:
                statuses.setdefault(int(code), "")
        for status, default_description in statuses.items():
            declared = responses.get(str(status))
            if declared is not None and declared.get("content"):
                continue  # the view documents its own body for this status
            description = (declared or {}).get("description") or default_description
            responses[str(status)] = self._get_response_for_code(  # type: ignore[no-untyped-call]
                OpenApiResponse(ApiErrorSerializer, description=description), str(status), direction=direction
            )
        return dict(sorted(responses.items()))
