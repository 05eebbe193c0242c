"""/api/v1/outage-notices: customers read the published notices affecting their bound accounts; staff
read all of them and, with the services permissions, draft, publish and close them. Publishing and
restoring are the same services the admin actions call (they notify the affected users)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response

from core import clock
from customers.api.permissions import ModelPermissionsWithView, PortalCustomerReadOnly
from services.actions.outages import draft_outage, publish_outage, restore_outage
from services.api.serializers import OutageNoticeSerializer, PublishResultSerializer
from services.filtersets import OutageNoticeFilter
from services.models import OutageNotice
from services.selectors.notices import outage_notices_visible_to


class CanPublishOutageNotices(BasePermission):
    """Publishing or closing a notice changes it: staff with view and change permissions."""

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(
            user
            and user.is_authenticated
            and user.has_perms(["services.view_outagenotice", "services.change_outagenotice"])
        )


@extend_schema_view(
    list=extend_schema(summary="List outage notices (customers: those affecting their accounts)"),
    retrieve=extend_schema(summary="Get an outage notice"),
    create=extend_schema(summary="Draft an outage notice (publish it to notify the affected customers)"),
)
class OutageNoticeViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    serializer_class = OutageNoticeSerializer
    permission_classes = [PortalCustomerReadOnly | ModelPermissionsWithView]
    queryset = OutageNotice.objects.none()
    filterset_class = OutageNoticeFilter
    ordering_fields = ["starts_at", "expected_end", "published_at"]

    def get_queryset(self):
        return (
            outage_notices_visible_to(user=self.request.user)
            .prefetch_related("areas", "feeders")
            .order_by("-starts_at", "-id")
        )

    def get_permissions(self):
        if self.action in ("publish", "restore"):
            return [CanPublishOutageNotices()]
        return super().get_permissions()

    def perform_create(self, serializer):
        data = serializer.validated_data
        serializer.instance = draft_outage(
            actor=self.request.user,
            kind=data["kind"],
            title=data["title"],
            reason=data["reason"],
            starts_at=data["starts_at"],
            expected_end=data["expected_end"],
            areas=data.get("areas", []),
            feeders=data.get("feeders", []),
        )

    def _transition(self, service) -> Response:
        notice = self.get_object()
        notified = service(actor=self.request.user, notice=notice, as_of=clock.now())
        notice.refresh_from_db()
        return Response({"notified": notified, "notice": OutageNoticeSerializer(notice).data})

    @extend_schema(
        summary="Publish a notice and notify the affected customers",
        request=None,
        responses={200: PublishResultSerializer, 400: OpenApiResponse(description="Not publishable.")},
    )
    @action(detail=True, methods=["post"])
    def publish(self, request: Request, pk: str) -> Response:
        return self._transition(publish_outage)

    @extend_schema(
        summary="Power restored: close a published notice and notify the affected customers",
        request=None,
        responses={200: PublishResultSerializer, 400: OpenApiResponse(description="Not published.")},
    )
    @action(detail=True, methods=["post"])
    def restore(self, request: Request, pk: str) -> Response:
        return self._transition(restore_outage)
