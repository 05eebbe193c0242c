"""/api/v1/ views for customer records: thin, one service call per write.

Querysets come from ``customers.access`` / ``customers.selectors`` only, so every list, detail and
action is limited to what the user may reach and anything else is a 404. Deleting is not offered:
records are closed (account status), not removed, and every change is audited by the services.
"""

from __future__ import annotations

from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer

from core import clock
from customers.api.permissions import ModelPermissionsWithView, PortalReadOrModelPermissions
from customers.api.serializers import (
    AccountSerializer,
    CustomerSerializer,
    FeederSerializer,
    InteractionSerializer,
    RevealedCustomerPIISerializer,
    TransformerAreaSerializer,
)
from customers.filtersets import (
    AccountFilterSet,
    CustomerFilterSet,
    FeederFilterSet,
    InteractionFilterSet,
    TransformerAreaFilterSet,
)
from customers.models import Account, Customer, Feeder, Interaction, TransformerArea
from customers.selectors.accounts import account_list
from customers.selectors.crm import interactions_visible_to
from customers.selectors.customers import customer_list
from customers.selectors.grid import feeders_visible_to, transformer_areas_visible_to
from customers.services.records import (
    RevealDenied,
    create_account,
    create_customer,
    record_interaction,
    reveal_customer_pii,
    update_account,
    update_customer,
)
from security.models import User

# Ordering is part of each FilterSet (an unknown or encrypted ordering field is a 400, not ignored).
FILTER_BACKENDS = [DjangoFilterBackend]


class _CreateRetrieveUpdateListViewSet(
    mixins.CreateModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    mixins.ListModelMixin,
    viewsets.GenericViewSet,
):
    pass


@extend_schema_view(
    list=extend_schema(
        summary="List customers",
        description="Exact `id_number`, `phone` and `email` search goes "
        "through the blind index; personal data is masked.",
    ),
    retrieve=extend_schema(summary="Get a customer (personal data masked)"),
    create=extend_schema(summary="Create a customer"),
    update=extend_schema(summary="Replace a customer's fields (personal data left out is kept)"),
    partial_update=extend_schema(summary="Change some of a customer's fields"),
)
class CustomerViewSet(_CreateRetrieveUpdateListViewSet):
    serializer_class = CustomerSerializer
    permission_classes = [PortalReadOrModelPermissions]
    filter_backends = FILTER_BACKENDS
    filterset_class = CustomerFilterSet
    lookup_field = "public_id"
    queryset = Customer.objects.none()  # the model, for schema and permissions; rows come from get_queryset

    def get_queryset(self):
        return customer_list(user=self.request.user)

    def perform_create(self, serializer: BaseSerializer[Customer]) -> None:
        serializer.instance = create_customer(
            actor=self.request.user, data=dict(serializer.validated_data), request=self.request
        )

    def perform_update(self, serializer: BaseSerializer[Customer]) -> None:
        assert serializer.instance is not None  # an update's serializer holds the object it changes
        serializer.instance = update_customer(
            actor=self.request.user,
            customer=serializer.instance,
            changes=dict(serializer.validated_data),
            request=self.request,
        )

    @extend_schema(
        summary="Reveal a customer's personal data (audited)",
        description="Needs `customers.reveal_customer_pii`. Every call is audited, refusals included.",
        request=None,
        responses={
            200: RevealedCustomerPIISerializer,
            403: OpenApiResponse(description="No permission to reveal personal data (the refusal is audited)."),
            404: OpenApiResponse(description="No such customer among those the user may see."),
        },
    )
    @action(detail=True, methods=["post"], permission_classes=[IsAuthenticated], filter_backends=[])
    def reveal(self, request: Request, public_id: str) -> Response:
        # Anyone signed in may ask: the queryset decides whether the customer exists for them (404), the
        # service whether they may see it unmasked (403) — and audits the refusal.
        customer = self.get_object()
        try:
            revealed = reveal_customer_pii(actor=request.user, customer=customer, request=request)
        except RevealDenied as exc:
            raise exceptions.PermissionDenied(str(exc)) from None
        # Plaintext personal data: no browser or proxy may keep a copy.
        return Response(RevealedCustomerPIISerializer(revealed).data, headers={"Cache-Control": "no-store"})


@extend_schema_view(
    list=extend_schema(summary="List accounts (户号)"),
    retrieve=extend_schema(summary="Get an account by number"),
    create=extend_schema(summary="Open an account"),
    update=extend_schema(summary="Replace an account's fields"),
    partial_update=extend_schema(summary="Change some of an account's fields"),
)
class AccountViewSet(_CreateRetrieveUpdateListViewSet):
    serializer_class = AccountSerializer
    permission_classes = [PortalReadOrModelPermissions]
    filter_backends = FILTER_BACKENDS
    filterset_class = AccountFilterSet
    lookup_field = "number"
    queryset = Account.objects.none()

    def get_queryset(self):
        return account_list(user=self.request.user)

    def perform_create(self, serializer: BaseSerializer[Account]) -> None:
        serializer.instance = create_account(
            actor=self.request.user, data=dict(serializer.validated_data), request=self.request
        )

    def perform_update(self, serializer: BaseSerializer[Account]) -> None:
        assert serializer.instance is not None  # an update's serializer holds the object it changes
        serializer.instance = update_account(
            actor=self.request.user,
            account=serializer.instance,
            changes=dict(serializer.validated_data),
            request=self.request,
        )


@extend_schema_view(
    list=extend_schema(summary="List transformer areas (台区)"),
    retrieve=extend_schema(summary="Get a transformer area by code"),
)
class TransformerAreaViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = TransformerAreaSerializer
    permission_classes = [ModelPermissionsWithView]
    filter_backends = FILTER_BACKENDS
    filterset_class = TransformerAreaFilterSet
    lookup_field = "code"
    queryset = TransformerArea.objects.none()

    def get_queryset(self):
        return transformer_areas_visible_to(user=self.request.user)


@extend_schema_view(
    list=extend_schema(summary="List feeders"),
    retrieve=extend_schema(summary="Get a feeder by code"),
)
class FeederViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = FeederSerializer
    permission_classes = [ModelPermissionsWithView]
    filter_backends = FILTER_BACKENDS
    filterset_class = FeederFilterSet
    lookup_field = "code"
    queryset = Feeder.objects.none()

    def get_queryset(self):
        return feeders_visible_to(user=self.request.user)


@extend_schema_view(
    list=extend_schema(summary="List CRM interactions"),
    retrieve=extend_schema(summary="Get an interaction"),
    create=extend_schema(summary="Log an interaction (the signed-in user is its author)"),
)
class InteractionViewSet(
    mixins.CreateModelMixin, mixins.RetrieveModelMixin, mixins.ListModelMixin, viewsets.GenericViewSet
):
    serializer_class = InteractionSerializer
    permission_classes = [ModelPermissionsWithView]
    filter_backends = FILTER_BACKENDS
    filterset_class = InteractionFilterSet
    queryset = Interaction.objects.none()

    def get_queryset(self):
        return interactions_visible_to(user=self.request.user)

    def perform_create(self, serializer: BaseSerializer[Interaction]) -> None:
        assert isinstance(self.request.user, User)  # ModelPermissionsWithView let only a signed-in user in
        data = dict(serializer.validated_data)
        # The interface layer supplies "now"; the service never reads the clock.
        data.setdefault("occurred_at", clock.now())
        serializer.instance = record_interaction(
            actor=self.request.user, interaction=Interaction(staff=self.request.user, **data), request=self.request
        )
