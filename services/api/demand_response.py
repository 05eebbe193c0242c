"""/api/v1/dr-programs, dr-events, dr-participations, dr-settlements: demand response over the API.

Customers read the programs, the events their accounts are invited to, their own participations and
settlements (with the statement), and answer invitations (``opt-in`` / ``opt-out``: one service call,
idempotent — repeating the answer already given changes and records nothing; after the deadline the
service's refusal comes back as a 400). Staff and integrators read by their model permissions
(``services.view_dr…``), as every other read endpoint."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response

from core import clock
from customers.access import is_portal_customer
from customers.api.permissions import ModelPermissionsWithView, PortalCustomerReadOnly
from services.actions.demand_response import statements
from services.actions.demand_response.events import respond_to_event
from services.api.dr_serializers import (
    DREventSerializer,
    DRParticipationSerializer,
    DRProgramSerializer,
    DRSettlementSerializer,
    DRStatementSerializer,
)
from services.models import DREnrolment, DREvent, DRParticipation, DRProgram, DRSettlement
from services.selectors import demand_response as selectors

NOT_FOUND = OpenApiResponse(description="Not found among those you may see.")
ANSWER_RESPONSES = {
    200: DRParticipationSerializer,
    400: OpenApiResponse(
        description="Refused by the service, e.g. code `invalid` with the message "
        "“Answers to this event closed at …” once the deadline has passed."
    ),
    403: OpenApiResponse(description="Only business-hall customers answer for their own accounts."),
    404: NOT_FOUND,
}


class IsPortalCustomer(BasePermission):
    def has_permission(self, request, view) -> bool:
        return is_portal_customer(request.user)


@extend_schema_view(
    list=extend_schema(summary="List demand-response programs, each with its terms versions"),
    retrieve=extend_schema(
        summary="Get a demand-response program", responses={200: DRProgramSerializer, 404: NOT_FOUND}
    ),
)
class DRProgramViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = DRProgramSerializer
    permission_classes = [PortalCustomerReadOnly | ModelPermissionsWithView]
    queryset = DRProgram.objects.none()

    def get_queryset(self):
        return DRProgram.objects.prefetch_related("terms").order_by("-valid_from", "code")


@extend_schema_view(
    list=extend_schema(summary="List demand-response events (customers: those their accounts are invited to)"),
    retrieve=extend_schema(summary="Get a demand-response event", responses={200: DREventSerializer, 404: NOT_FOUND}),
)
class DREventViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = DREventSerializer
    permission_classes = [PortalCustomerReadOnly | ModelPermissionsWithView]
    queryset = DREvent.objects.none()

    def get_queryset(self):
        return selectors.events_visible_to(user=self.request.user).order_by("-start", "-id")


@extend_schema_view(
    list=extend_schema(summary="List participations (customers: their accounts' invitations and answers)"),
    retrieve=extend_schema(summary="Get a participation", responses={200: DRParticipationSerializer, 404: NOT_FOUND}),
)
class DRParticipationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = DRParticipationSerializer
    permission_classes = [PortalCustomerReadOnly | ModelPermissionsWithView]
    queryset = DRParticipation.objects.none()

    def get_queryset(self):
        return selectors.participations_visible_to(user=self.request.user).order_by("-event__start", "-id")

    def get_permissions(self):
        if self.action in ("opt_in", "opt_out"):
            return [IsPortalCustomer()]
        return super().get_permissions()

    def _answer(self, *, opt_in: bool) -> Response:
        participation = respond_to_event(
            participation=self.get_object(),
            opt_in=opt_in,
            user=self.request.user,
            channel=DREnrolment.Channel.API,
            now=clock.now(),
        )
        participation = self.get_queryset().get(pk=participation.pk)
        return Response(DRParticipationSerializer(participation).data)

    @extend_schema(summary="Take part in the event (idempotent)", request=None, responses=ANSWER_RESPONSES)
    @action(detail=True, methods=["post"], url_path="opt-in")
    def opt_in(self, request: Request, pk: str) -> Response:
        return self._answer(opt_in=True)

    @extend_schema(summary="Decline the event (idempotent)", request=None, responses=ANSWER_RESPONSES)
    @action(detail=True, methods=["post"], url_path="opt-out")
    def opt_out(self, request: Request, pk: str) -> Response:
        return self._answer(opt_in=False)


@extend_schema_view(
    list=extend_schema(
        summary="List settlement results (customers: their own)",
        parameters=[OpenApiParameter("event", int, description="Only this event's results.")],
    ),
    retrieve=extend_schema(summary="Get a settlement result", responses={200: DRSettlementSerializer, 404: NOT_FOUND}),
)
class DRSettlementViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = DRSettlementSerializer
    permission_classes = [PortalCustomerReadOnly | ModelPermissionsWithView]
    queryset = DRSettlement.objects.none()

    def get_queryset(self):
        rows = selectors.settlements_visible_to(user=self.request.user)
        event = self.request.query_params.get("event")
        if event and event.isdigit():
            rows = rows.filter(participation__event_id=int(event))
        return rows.order_by("-participation__event__start", "participation_id")

    @extend_schema(
        summary="The settlement statement: intervals, days the baseline used and skipped, money, ledger, bill",
        responses={200: DRStatementSerializer, 404: NOT_FOUND},
    )
    @action(detail=True, methods=["get"])
    def statement(self, request: Request, pk: str) -> Response:
        return Response(DRStatementSerializer(statements.statement(settlement=self.get_object())).data)
