"""POST /api/v1/payments for integrators (counter payments, bank collections), with a mandatory
``Idempotency-Key`` header; GET lists payments the caller may see."""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.exceptions import ValidationError

from billing.filtersets import PaymentFilterSet
from billing.models import Payment, PaymentAllocation
from billing.selectors.payments import payments_visible_to
from billing.services.ledger import balance
from billing.services.payments import record_counter_payment
from core import clock
from core.api.idempotency import idempotent_create
from customers.access import accounts_visible_to
from customers.api.permissions import ModelPermissionsWithView


class PaymentAllocationSerializer(serializers.ModelSerializer):
    bill_id = serializers.IntegerField(read_only=True)
    period_start = serializers.DateField(source="bill.period_start", read_only=True)
    revision = serializers.IntegerField(source="bill.revision", read_only=True)

    class Meta:
        model = PaymentAllocation
        fields = ["bill_id", "period_start", "revision", "amount"]


class PaymentSerializer(serializers.ModelSerializer):
    account_number = serializers.CharField(source="account.number", read_only=True)
    channel_display = serializers.CharField(source="get_channel_display", read_only=True)
    settled_at = serializers.DateTimeField(
        read_only=True, help_text="When the money settled (succeeded) or the payment failed; null while pending."
    )
    created_at = serializers.DateTimeField(read_only=True, help_text="When the payment record was created.")
    bills_paid = PaymentAllocationSerializer(
        source="allocations",
        many=True,
        read_only=True,
        help_text="The bill(s) this payment paid, and how much of each.",
    )

    class Meta:
        model = Payment
        fields = [
            "order_no",
            "account_number",
            "amount",
            "channel",
            "channel_display",
            "status",
            "reference",
            "settled_at",
            "bills_paid",
            "created_at",
        ]


class PaymentCreateSerializer(serializers.Serializer):
    account_number = serializers.CharField(max_length=10)
    amount = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=Decimal("0.01"))
    channel = serializers.ChoiceField(choices=[Payment.Channel.COUNTER, Payment.Channel.BANK])
    reference = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")


IDEMPOTENCY_HEADER = OpenApiParameter(
    "Idempotency-Key",
    str,
    OpenApiParameter.HEADER,
    required=True,
    description="Unique per payment attempt; retries reuse it.",
)


class PaymentViewSet(mixins.CreateModelMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = PaymentSerializer
    permission_classes = [ModelPermissionsWithView]
    queryset = Payment.objects.none()  # for the permission class's model lookup
    filterset_class = PaymentFilterSet

    def get_queryset(self):
        return payments_visible_to(user=self.request.user)

    @extend_schema(parameters=[IDEMPOTENCY_HEADER], request=PaymentCreateSerializer, responses={201: PaymentSerializer})
    def create(self, request, *args, **kwargs):
        key = request.headers.get("Idempotency-Key", "").strip()
        if not key:
            raise ValidationError({"Idempotency-Key": ["This header is required (at most 100 characters)."]})
        return idempotent_create(request=request, key=key, create=lambda: self._create_payment(request))

    def _create_payment(self, request) -> tuple[int, dict]:
        payload = PaymentCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        account = accounts_visible_to(user=request.user).filter(number=data["account_number"]).first()
        if account is None:
            raise ValidationError({"account_number": ["No such account, or not one you may post payments to."]})
        with transaction.atomic():
            payment = record_counter_payment(
                user=request.user,
                account=account,
                amount=data["amount"],
                channel=data["channel"],
                reference=data["reference"],
                as_of=clock.now(),
            )
        body = {**PaymentSerializer(payment).data, "balance": str(balance(account=account))}
        return status.HTTP_201_CREATED, body
