"""/api/v1/service-types and /api/v1/service-requests: the catalogue, and requests with their workflow.

Who reaches what:
- the catalogue: anybody signed in;
- requests: portal customers the ones they filed, staff holding ``services.view_servicerequest`` all of
  them (``requests_visible_to``); anything else is a 404, so a number or a file id tells nothing;
- filing a request: portal customers only; taking a transition: whoever holds one of its roles on the
  request (the engine decides: 403 ``role``, 409 ``state``, 400 ``guard``/``note``/``records``);
- personal form answers: in clear for the applicant, masked for staff; staff holding
  ``customers.reveal_customer_pii`` read them through the audited ``reveal`` action (the same
  permission that reveals a customer's record, since it is the same kind of data).
"""

from __future__ import annotations

import json

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Prefetch
from django.http import FileResponse, Http404
from django.utils.translation import gettext_lazy as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.filters import OrderingFilter
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.settings import api_settings

from core import clock
from core.api.idempotency import idempotent_create
from customers.access import is_portal_customer
from services.actions.attachments import add_attachment, attachment_path
from services.actions.personal_data import RevealDenied, reveal_private_answers
from services.actions.requests import (
    TransitionRefused,
    actor_roles,
    assign_request,
    rate_request,
    submit_request,
    transition_request,
)
from services.api.serializers import (
    AssignmentInputSerializer,
    AttachmentSerializer,
    AttachmentUploadSerializer,
    RatingInputSerializer,
    RevealedAnswersSerializer,
    ServiceRequestCreateSerializer,
    ServiceRequestDetailSerializer,
    ServiceRequestListSerializer,
    ServiceTypeSerializer,
    TransitionInputSerializer,
)
from services.filtersets import ServiceRequestFilterSet
from services.models import RequestAttachment, RequestEvent, RequestStep, ServiceRequest, ServiceType
from services.selectors.requests import attachment_visible_to, requests_visible_to

# --- errors ------------------------------------------------------------------------------------------


# A refusal's code decides the status: the caller's role (403), the request's state (409), or
# something the caller can fix in what they send (400).
REFUSAL_STATUS = {"role": 403, "state": 409}


class Refused(exceptions.APIException):
    """A TransitionRefused in the API's error shape, keeping the engine's code and message."""

    def __init__(self, refusal: TransitionRefused):
        self.status_code = REFUSAL_STATUS.get(refusal.code, status.HTTP_400_BAD_REQUEST)
        super().__init__(detail=refusal.message, code=refusal.code)


def _submit_errors(exc: DjangoValidationError) -> exceptions.ValidationError:
    """submit_request's errors, with the form's own under ``form`` so they never clash with ours."""
    top_level = {"service_type": "service_type", "account": "account_number"}
    fields: dict = {}
    form_errors: dict = {}
    for name, messages in exc.message_dict.items():
        if name in top_level:
            fields[top_level[name]] = messages
        elif name == "__all__":
            form_errors[api_settings.NON_FIELD_ERRORS_KEY] = messages
        else:
            form_errors[name] = messages
    if form_errors:
        fields["form"] = form_errors
    return exceptions.ValidationError(fields)


# --- permissions and filters -------------------------------------------------------------------------


class ServiceRequestAccess(BasePermission):
    """Portal customers use the endpoints (their queryset holds only what they filed); staff need
    ``services.view_servicerequest``; only portal customers file requests. Which requests a user
    reaches is the queryset's business, and what they may do to one is the workflow engine's."""

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not (user and user.is_authenticated):
            return False
        if not hasattr(view, request.method.lower()):
            raise exceptions.MethodNotAllowed(request.method)
        if getattr(view, "action", None) == "create":
            return is_portal_customer(user)
        return is_portal_customer(user) or user.has_perm("services.view_servicerequest")


# --- the catalogue -----------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(summary="The service catalogue: types with their forms, documents and workflows"),
    retrieve=extend_schema(summary="One service type by code"),
)
class ServiceTypeViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = ServiceTypeSerializer
    permission_classes = [IsAuthenticated]
    lookup_field = "code"
    filterset_fields = ["group"]
    queryset = ServiceType.objects.filter(active=True).prefetch_related("steps", "transitions").order_by("position")

    def get_queryset(self):
        # Staff-only types (site inspection) are part of the staff's catalogue, not the customers'.
        queryset = super().get_queryset()
        return queryset if self.request.user.is_staff else queryset.filter(staff_only=False)


# --- requests ----------------------------------------------------------------------------------------


IDEMPOTENCY_HEADER = OpenApiParameter(
    "Idempotency-Key",
    str,
    OpenApiParameter.HEADER,
    required=False,
    description="Optional; a retried create with the same key and body returns the first response "
    "instead of filing again (422 with another body, 409 while the first is still running).",
)
REFUSALS = {
    400: OpenApiResponse(description="Bad input, or refused: code `guard`, `note` or `records`."),
    403: OpenApiResponse(description="Refused: your role may not take this action (code `role`)."),
    404: OpenApiResponse(description="No such request among those you may see."),
    409: OpenApiResponse(description="Refused: not possible in the request's current state (code `state`)."),
}


@extend_schema_view(
    list=extend_schema(summary="Service requests (customers: their own; staff: all)"),
    retrieve=extend_schema(
        summary="A service request with its answers, timeline, history, files and the caller's allowed transitions"
    ),
)
class ServiceRequestViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    permission_classes = [ServiceRequestAccess]
    filter_backends = [DjangoFilterBackend, OrderingFilter]
    filterset_class = ServiceRequestFilterSet
    ordering_fields = ["submitted_at", "step_due_at", "number"]
    lookup_field = "number"
    queryset = ServiceRequest.objects.none()  # the model, for the schema; rows come from get_queryset

    def get_serializer_class(self):
        return ServiceRequestListSerializer if self.action == "list" else ServiceRequestDetailSerializer

    def get_queryset(self):
        visible = requests_visible_to(user=self.request.user).select_related(
            "service_type", "account", "area", "assigned_to"
        )
        visible = visible.prefetch_related("service_type__steps")
        if self.action != "list":
            visible = visible.prefetch_related(
                Prefetch("steps", queryset=RequestStep.objects.select_related("handled_by")),
                Prefetch("events", queryset=RequestEvent.objects.select_related("actor")),
                "attachments",
            )
        return visible.order_by("-submitted_at", "-pk")

    def _detail(self, pk: int) -> dict:
        fresh = self.get_queryset().get(pk=pk)
        data = ServiceRequestDetailSerializer(fresh, context=self.get_serializer_context()).data
        # Plain JSON types, as the response will carry them: an idempotent create stores this body.
        return json.loads(JSONRenderer().render(data))

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        # Requests carry the applicant's answers (in clear for them) and files: no cache may keep a copy.
        response.setdefault("Cache-Control", "private, no-store")
        return response

    # --- create, idempotent ---

    @extend_schema(
        summary="File a service request (portal customers)",
        parameters=[IDEMPOTENCY_HEADER],
        request=ServiceRequestCreateSerializer,
        responses={201: ServiceRequestDetailSerializer, 400: OpenApiResponse(description="Field errors.")},
    )
    def create(self, request, *args, **kwargs):
        key = request.headers.get("Idempotency-Key", "").strip()
        if not key:
            return Response(self._file_request(request), status=status.HTTP_201_CREATED)
        return idempotent_create(
            request=request, key=key, create=lambda: (status.HTTP_201_CREATED, self._file_request(request))
        )

    def _file_request(self, request) -> dict:
        payload = ServiceRequestCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        try:
            filed = submit_request(
                applicant=request.user,
                service_type_code=data["service_type"],
                form=dict(data["form"]),
                account_number=data["account_number"] or None,
                as_of=clock.now(),
            )
        except DjangoValidationError as exc:
            raise _submit_errors(exc) from None
        except Http404:
            # Someone else's account reads exactly like one that does not exist.
            raise exceptions.ValidationError(
                {"account_number": [_("No such account among the accounts bound to you.")]}
            ) from None
        return self._detail(filed.pk)

    # --- workflow ---

    @extend_schema(
        summary="Take a workflow action (accept, advance, return, reject, cancel, resubmit …)",
        request=TransitionInputSerializer,
        responses={200: ServiceRequestDetailSerializer, **REFUSALS},
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def transitions(self, request, number: str):
        service_request = self.get_object()
        payload = TransitionInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        try:
            transition_request(
                actor=request.user,
                service_request_id=service_request.pk,
                action=payload.validated_data["action"],
                note=payload.validated_data["note"],
                recorded=dict(payload.validated_data["recorded"]),
                as_of=clock.now(),
            )
        except TransitionRefused as refusal:
            raise Refused(refusal) from None
        return Response(self._detail(service_request.pk))

    @extend_schema(
        summary="Put the request in a staff member's queue (staff with services.change_servicerequest)",
        request=AssignmentInputSerializer,
        responses={200: ServiceRequestDetailSerializer, **REFUSALS},
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def assignment(self, request, number: str):
        service_request = self.get_object()
        if not request.user.has_perm("services.change_servicerequest"):
            raise exceptions.PermissionDenied(_("Assigning requests needs the permission to change them."))
        payload = AssignmentInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        assignee = (
            get_user_model()
            .objects.filter(username=payload.validated_data["assignee"], is_staff=True, is_active=True)
            .first()
        )
        if assignee is None:
            raise exceptions.ValidationError({"assignee": [_("No active staff member has this username.")]})
        try:
            assign_request(
                actor=request.user, service_request_id=service_request.pk, assignee=assignee, as_of=clock.now()
            )
        except TransitionRefused as refusal:
            raise Refused(refusal) from None
        return Response(self._detail(service_request.pk))

    @extend_schema(
        summary="Rate a completed request (the applicant, once)",
        request=RatingInputSerializer,
        responses={200: ServiceRequestDetailSerializer, **REFUSALS},
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def rating(self, request, number: str):
        service_request = self.get_object()
        payload = RatingInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        try:
            rate_request(
                user=request.user,
                service_request_id=service_request.pk,
                rating=payload.validated_data["rating"],
                comment=payload.validated_data["comment"],
                as_of=clock.now(),
            )
        except TransitionRefused as refusal:
            raise Refused(refusal) from None
        return Response(self._detail(service_request.pk))

    @extend_schema(
        summary="Personal form answers in clear (staff with customers.reveal_customer_pii; audited)",
        request=None,
        responses={
            200: RevealedAnswersSerializer,
            403: OpenApiResponse(description="No permission to reveal personal data (the refusal is audited)."),
            404: OpenApiResponse(description="No such request among those you may see."),
        },
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def reveal(self, request, number: str):
        service_request = self.get_object()
        try:
            answers = reveal_private_answers(actor=request.user, service_request=service_request, request=request)
        except RevealDenied:
            raise exceptions.PermissionDenied(_("You do not have permission to reveal personal data.")) from None
        return Response(
            RevealedAnswersSerializer({"number": service_request.number, "private_answers": answers}).data,
            headers={"Cache-Control": "no-store"},
        )

    # --- attachments ---

    @extend_schema(methods=["GET"], summary="The request's files (metadata)", responses=AttachmentSerializer(many=True))
    @extend_schema(
        methods=["POST"],
        summary="Upload a document (multipart: document_type, file); PDF, JPEG or PNG by content",
        request={"multipart/form-data": AttachmentUploadSerializer},
        responses={
            201: AttachmentSerializer,
            400: OpenApiResponse(description="Unknown document type, wrong kind of file, empty or too large."),
            403: OpenApiResponse(description="You hold no role on this request (code `role`)."),
            404: OpenApiResponse(description="No such request among those you may see."),
        },
    )
    @action(
        detail=True,
        methods=["get", "post"],
        filter_backends=[],
        pagination_class=None,
        parser_classes=[MultiPartParser, FormParser],
    )
    def attachments(self, request, number: str):
        service_request = self.get_object()
        if request.method == "GET":
            rows = service_request.attachments.all()
            return Response(AttachmentSerializer(rows, many=True).data)
        if not actor_roles(user=request.user, service_request=service_request):
            raise exceptions.PermissionDenied(detail=_("You may not add files to this request."), code="role")
        payload = AttachmentUploadSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        upload = payload.validated_data["file"]
        attachment = add_attachment(
            actor=request.user,
            service_request=service_request,
            document_type=payload.validated_data["document_type"],
            filename=upload.name,
            content=upload,
            as_of=clock.now(),
        )
        return Response(AttachmentSerializer(attachment).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Download a file (as an attachment, with its detected content type)",
        responses={
            (200, "application/octet-stream"): OpenApiTypes.BINARY,
            404: OpenApiResponse(description="No such file among those you may see."),
        },
    )
    @action(
        detail=True,
        methods=["get"],
        url_path=r"attachments/(?P<public_id>[0-9a-fA-F-]{36})",
        filter_backends=[],
        pagination_class=None,
    )
    def attachment_file(self, request, number: str, public_id: str):
        try:
            attachment: RequestAttachment = attachment_visible_to(user=request.user, attachment_public_id=public_id)
        except (RequestAttachment.DoesNotExist, DjangoValidationError, ValueError):
            raise Http404 from None
        if attachment.request.number != number:
            raise Http404
        try:
            handle = attachment_path(attachment).open("rb")
        except (OSError, DjangoValidationError):
            raise Http404 from None
        response = FileResponse(
            handle, as_attachment=True, filename=attachment.original_name, content_type=attachment.content_type
        )
        response["X-Content-Type-Options"] = "nosniff"
        response["Cache-Control"] = "private, no-store"
        return response
