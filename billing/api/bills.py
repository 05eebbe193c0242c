"""Bills (with lines and reads), the account ledger, and prepaid settings — read through
customers.access, so customers see only their own accounts and staff what their role allows."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.http import parse_etags, quote_etag
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import BasePermission
from rest_framework.response import Response

from billing.filtersets import BillFilterSet, LedgerEntryFilterSet
from billing.models import Bill, BillLine, BillRead, LedgerEntry, PrepaidAccount
from billing.selectors.bills import bills_visible_to
from billing.selectors.ledger import ledger_entries_visible_to, prepaid_accounts_visible_to
from billing.services.ledger import balance, outstanding
from billing.services.prepaid import credit, set_low_balance_threshold
from core import clock
from customers.access import access_account, is_portal_customer
from customers.api.permissions import ModelPermissionsWithView, PortalReadOrModelPermissions


class BillLineSerializer(serializers.ModelSerializer):
    class Meta:
        model = BillLine
        fields = ["position", "code", "description", "quantity", "unit", "rate", "amount"]


class BillReadSerializer(serializers.ModelSerializer):
    meter_no = serializers.CharField(source="meter.meter_no")

    class Meta:
        model = BillRead
        fields = ["meter_no", "register", "start_at", "start_value", "end_at", "end_value", "multiplier", "kwh"]


class BillSerializer(serializers.ModelSerializer):
    account_number = serializers.CharField(source="account.number")
    tariff = serializers.CharField(source="tariff.code")
    lines = BillLineSerializer(many=True)
    reads = BillReadSerializer(many=True)
    outstanding = serializers.SerializerMethodField()
    overdue = serializers.SerializerMethodField(
        help_text="Due date passed and money still owed today (billing.selectors.overdue, as on every page)."
    )

    class Meta:
        model = Bill
        fields = [
            "id",
            "account_number",
            "period_start",
            "period_end",
            "revision",
            "status",
            "hold_reasons",
            "tariff",
            "split_method",
            "consumption_source",
            "total_kwh",
            "annual_kwh_before",
            "power_factor",
            "max_demand_kw",
            "amount",
            "outstanding",
            "due_date",
            "overdue",
            "issued_at",
            "lines",
            "reads",
        ]

    def get_overdue(self, bill: Bill) -> bool:
        return bool(bill.overdue_on_day)  # type: ignore[attr-defined]  # annotated by with_open_amount

    def get_outstanding(self, bill: Bill) -> str:
        if bill.status in (Bill.Status.HELD, Bill.Status.VOID):
            return "0.00"
        # bills_visible_to annotates what is paid (no query per bill); a bare Bill asks the ledger.
        paid = getattr(bill, "paid_total", None)
        return f"{bill.amount - paid if paid is not None else outstanding(bill=bill):.2f}"


class BillViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = BillSerializer
    permission_classes = [PortalReadOrModelPermissions]
    queryset = Bill.objects.none()
    filterset_class = BillFilterSet
    ordering_fields = ["period_start", "amount", "due_date"]

    def get_queryset(self):
        return bills_visible_to(user=self.request.user, today=clock.today())

    def retrieve(self, request, *args, **kwargs):
        """One bill, with a strong ETag: an issued bill's lines and reads never change (a correction is
        a new revision), so its status, amount, what is paid and due date say whether it did."""
        bill = self.get_object()
        etag = quote_etag(
            f"bill-{bill.pk}-{bill.revision}-{bill.status}-{bill.amount}-{bill.paid_total}-{bill.due_date}"
        )
        if etag in parse_etags(request.headers.get("If-None-Match", "")):
            return Response(status=304, headers={"ETag": etag})
        return Response(self.get_serializer(bill).data, headers={"ETag": etag})


class LedgerEntrySerializer(serializers.ModelSerializer):
    account_number = serializers.CharField(source="account.number")

    class Meta:
        model = LedgerEntry
        fields = ["occurred_on", "account_number", "kind", "amount", "description", "bill", "payment"]


class LedgerViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Ledger entries; ``?account_number=`` narrows to one account and adds its balance."""

    serializer_class = LedgerEntrySerializer
    permission_classes = [PortalReadOrModelPermissions]
    queryset = LedgerEntry.objects.none()
    filterset_class = LedgerEntryFilterSet

    def get_queryset(self):
        return ledger_entries_visible_to(user=self.request.user)

    @extend_schema(summary="An account's balance (positive: owed; negative: in credit), derived from its ledger")
    @action(detail=False, methods=["get"], url_path=r"balance/(?P<account_number>\d{10})")
    def balance(self, request, account_number: str):
        account = access_account(user=request.user, account_number=account_number)
        return Response({"account_number": account.number, "balance": f"{balance(account=account):.2f}"})


class PrepaidSerializer(serializers.ModelSerializer):
    account_number = serializers.CharField(source="account.number", read_only=True)
    credit = serializers.SerializerMethodField()

    class Meta:
        model = PrepaidAccount
        fields = ["account_number", "low_balance_threshold", "credit"]

    def get_credit(self, prepaid: PrepaidAccount) -> str:
        return f"{credit(account=prepaid.account):.2f}"


class CustomerOrModelPermissions(BasePermission):
    """Customers may read and change their own prepaid settings (the queryset keeps them to their
    accounts); staff need the model permissions."""

    def has_permission(self, request, view) -> bool:
        if is_portal_customer(request.user):
            return True
        return ModelPermissionsWithView().has_permission(request, view)


class PrepaidViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.UpdateModelMixin, viewsets.GenericViewSet
):
    """Prepaid accounts: the customer (or staff) reads the credit and sets the low-balance alert."""

    serializer_class = PrepaidSerializer
    permission_classes = [CustomerOrModelPermissions]
    queryset = PrepaidAccount.objects.none()
    lookup_field = "account__number"
    lookup_url_kwarg = "account_number"
    http_method_names = ["get", "patch", "head", "options"]

    def get_queryset(self):
        return prepaid_accounts_visible_to(user=self.request.user)

    def perform_update(self, serializer):
        try:
            serializer.instance = set_low_balance_threshold(
                account=serializer.instance.account, threshold=serializer.validated_data["low_balance_threshold"]
            )
        except DjangoValidationError as exc:
            raise ValidationError(exc.message_dict) from exc
