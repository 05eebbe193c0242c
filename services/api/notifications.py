"""/api/v1/notifications: the caller's own inbox, whoever they are (customer, staff, integrator);
another user's notification is a 404. Marking read is the inbox page's service call."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from core import clock
from services.actions.notifications import mark_all_read, mark_read
from services.api.serializers import MarkedReadSerializer, NotificationSerializer
from services.filtersets import NotificationFilter
from services.models import Notification
from services.selectors.inbox import inbox_for


@extend_schema_view(
    list=extend_schema(summary="My notifications, unread first"),
    retrieve=extend_schema(summary="One of my notifications"),
)
class NotificationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = NotificationSerializer
    permission_classes = [IsAuthenticated]
    queryset = Notification.objects.none()
    filterset_class = NotificationFilter
    ordering_fields = ["created_at"]

    def get_queryset(self):
        return inbox_for(user=self.request.user)

    @extend_schema(summary="Mark one of my notifications read", request=None, responses={200: NotificationSerializer})
    @action(detail=True, methods=["post"])
    def read(self, request: Request, pk: str) -> Response:
        notification = self.get_object()
        mark_read(user=request.user, notification_ids=[notification.pk], as_of=clock.now())
        notification.refresh_from_db(fields=["read_at"])
        return Response(NotificationSerializer(notification).data)

    @extend_schema(summary="Mark all my notifications read", request=None, responses={200: MarkedReadSerializer})
    @action(detail=False, methods=["post"], url_path="read-all", filter_backends=[])
    def read_all(self, request: Request) -> Response:
        return Response({"marked": mark_all_read(user=request.user, as_of=clock.now())})
