"""Tariffs and quotes: GET /api/v1/tariffs[/{code}], POST /api/v1/tariffs/{code}/quote.

Anyone signed in may read tariffs and ask for a quote (customers use it as the "what would 300 kWh
cost me" calculator); a quote creates nothing. Money and kWh travel as decimal strings."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from billing.filtersets import TariffFilterSet
from billing.models import Tariff, TariffVersion
from billing.services.tariffs.engine import PERIODS, QuoteError, QuoteInput
from billing.services.tariffs.quotes import quote_tariff
from core.api.fields import BoundedDateField, BoundedDateTimeField


def kwh_field(**options: Any) -> serializers.DecimalField:
    """A non-negative kWh figure, as stored (0.0001 kWh), sent as a string."""
    return serializers.DecimalField(
        max_digits=14, decimal_places=4, min_value=Decimal(0), coerce_to_string=True, **options
    )


CONSUMPTION_KEYS = (*PERIODS, "total")


class TariffVersionSerializer(serializers.ModelSerializer):
    tou_calendar: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="code", read_only=True, allow_null=True
    )

    class Meta:
        model = TariffVersion
        fields = [
            "valid_from",
            "valid_to",
            "tou_calendar",
            "rate_total",
            "rate_sharp",
            "rate_peak",
            "rate_flat",
            "rate_valley",
            "tier1_max_kwh",
            "tier2_max_kwh",
            "tier2_surcharge",
            "tier3_surcharge",
            "capacity_rate",
            "demand_rate",
            "power_factor_standard",
            "fixed_monthly",
        ]


class TariffSerializer(serializers.ModelSerializer):
    versions = TariffVersionSerializer(many=True, read_only=True)

    class Meta:
        model = Tariff
        fields = ["code", "name", "category", "description", "versions"]


class ReadingInputSerializer(serializers.Serializer):
    interval_start = BoundedDateTimeField()
    kwh = kwh_field()


class QuoteRequestSerializer(serializers.Serializer):
    period_start = BoundedDateField()
    period_end = BoundedDateField(help_text="Exclusive.")
    consumption = serializers.DictField(
        child=kwh_field(),
        required=False,
        help_text='kWh per TOU period ({"peak": "…", "valley": "…"}) or {"total": "…"}',
    )
    readings = ReadingInputSerializer(many=True, required=False, help_text="Interval readings instead of consumption.")
    annual_kwh_before = kwh_field(default=Decimal(0))
    contracted_kva = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=Decimal(0), required=False)
    max_demand_kw = serializers.DecimalField(max_digits=12, decimal_places=3, min_value=Decimal(0), required=False)
    power_factor = serializers.DecimalField(
        max_digits=4, decimal_places=3, min_value=Decimal(0), max_value=Decimal(1), required=False
    )
    demand_basis = serializers.ChoiceField(choices=["capacity", "demand"], default="capacity")

    def validate_consumption(self, value: dict) -> dict:
        unknown = sorted(set(value) - set(CONSUMPTION_KEYS))
        if unknown:
            raise ValidationError(f"unknown key(s) {', '.join(unknown)}; use {', '.join(CONSUMPTION_KEYS)}")
        return value

    def validate(self, attrs):
        if ("consumption" in attrs) == ("readings" in attrs):
            raise ValidationError({"consumption": ["Give either consumption or readings."]})
        return attrs


class QuoteLineSerializer(serializers.Serializer):
    code = serializers.CharField()
    description = serializers.CharField()
    quantity = serializers.DecimalField(max_digits=20, decimal_places=4)
    unit = serializers.CharField()
    rate = serializers.DecimalField(max_digits=12, decimal_places=5)
    amount = serializers.DecimalField(max_digits=14, decimal_places=2)


class QuoteResponseSerializer(serializers.Serializer):
    tariff = serializers.CharField()
    period_start = serializers.DateField()
    period_end = serializers.DateField()
    split_method = serializers.CharField(allow_null=True)
    versions = serializers.ListField(child=serializers.DictField())
    lines = QuoteLineSerializer(many=True)
    total = serializers.DecimalField(max_digits=14, decimal_places=2)
    total_kwh = serializers.DecimalField(max_digits=16, decimal_places=4)
    tier_kwh = serializers.DictField(child=serializers.DecimalField(max_digits=16, decimal_places=4))


class TariffViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = Tariff.objects.prefetch_related("versions__tou_calendar")
    serializer_class = TariffSerializer
    permission_classes = [IsAuthenticated]
    lookup_field = "code"
    lookup_value_regex = "[A-Za-z0-9-]+"
    filterset_class = TariffFilterSet
    ordering_fields = ["code"]

    @extend_schema(
        request=QuoteRequestSerializer,
        responses={200: QuoteResponseSerializer},
        summary="Price consumption without creating a bill",
    )
    @action(detail=True, methods=["post"], serializer_class=QuoteRequestSerializer)
    def quote(self, request, code: str):
        tariff = self.get_object()
        payload = QuoteRequestSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        readings = [(r["interval_start"], r["kwh"]) for r in data["readings"]] if "readings" in data else None
        try:
            result = quote_tariff(
                code=tariff.code,
                data=QuoteInput(
                    period_start=data["period_start"],
                    period_end=data["period_end"],
                    consumption=data.get("consumption", {}),
                    annual_kwh_before=data["annual_kwh_before"],
                    contracted_kva=data.get("contracted_kva"),
                    max_demand_kw=data.get("max_demand_kw"),
                    power_factor=data.get("power_factor"),
                    demand_basis=data["demand_basis"],
                ),
                readings=readings,
            )
        except QuoteError as exc:
            raise ValidationError({exc.field: [str(exc)]}) from exc
        body = {
            "tariff": tariff.code,
            "period_start": result.period_start,
            "period_end": result.period_end,
            "split_method": result.split_method,
            "versions": [
                {
                    "valid_from": s.version.valid_from.isoformat(),
                    "period_start": s.start.isoformat(),
                    "period_end": s.end.isoformat(),
                }
                for s in result.segments
            ],
            "lines": [line.__dict__ for line in result.lines],
            "total": result.total,
            "total_kwh": result.total_kwh,
            "tier_kwh": {str(k): v for k, v in result.tier_kwh.items()},
        }
        return Response(QuoteResponseSerializer(body).data)
