"""Line loss in /api/v1/ (staff only: the user must be staff and hold the analytics view permissions).

GET /api/v1/line-loss/areas?month=YYYY-MM[&feeder=CODE][&flagged=true]  — the month's areas by loss rate
GET /api/v1/line-loss/suspects[?area=CODE][&as_of=YYYY-MM-DD][&window=30] — the suspicion list
"""

from __future__ import annotations

import datetime as dt

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.generics import ListAPIView
from rest_framework.permissions import BasePermission

from analytics.models import AreaLossMonth
from analytics.selectors.lineloss import area_by_code, area_month_ranking, loss_months
from analytics.services.lineloss_suspects import loss_suspects
from core import clock
from core.api.fields import BoundedDateField
from core.time import check_input_date


class _StaffWith(BasePermission):
    perms: tuple[str, ...] = ()

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.is_staff and user.has_perms(self.perms))


class CanViewLossMonths(_StaffWith):
    perms = ("analytics.view_arealossmonth",)


class CanViewSuspects(_StaffWith):
    perms = ("analytics.view_arealossday", "analytics.view_arealossmonth")


class AreasQuerySerializer(serializers.Serializer):
    month = serializers.CharField(
        required=False, help_text="YYYY-MM; default the latest month with figures.", max_length=7
    )
    feeder = serializers.CharField(required=False, max_length=32, help_text="Feeder code.")
    flagged = serializers.BooleanField(required=False, default=False, help_text="Only flagged areas.")

    def validate_month(self, value: str) -> dt.date:
        try:
            return check_input_date(dt.datetime.strptime(value, "%Y-%m").date())
        except ValueError:  # InputDateError too: a year outside 1900–9998
            raise ValidationError("Use YYYY-MM, e.g. 2026-10.") from None


class AreaLossMonthSerializer(serializers.ModelSerializer):
    area = serializers.CharField(source="area.code")
    area_name = serializers.CharField(source="area.name")
    feeder = serializers.CharField(source="area.feeder.code")
    month = serializers.DateField(format="%Y-%m")
    flags = serializers.ListField(child=serializers.CharField(), source="flag_names")

    class Meta:
        model = AreaLossMonth
        fields = [
            "area",
            "area_name",
            "feeder",
            "month",
            "supplied_kwh",
            "consumed_kwh",
            "loss_kwh",
            "loss_rate",
            "baseline_rate",
            "summary_completeness",
            "customer_completeness",
            "days",
            "complete_days",
            "incomplete",
            "flagged",
            "flags",
        ]


class SuspectsQuerySerializer(serializers.Serializer):
    area = serializers.CharField(required=False, max_length=32, help_text="Area code; default every flagged area.")
    as_of = BoundedDateField(required=False, help_text="First day not looked at; default today.")
    window = serializers.IntegerField(required=False, default=30, min_value=7, max_value=90)


class SuspectSerializer(serializers.Serializer):
    account_number = serializers.CharField()
    area = serializers.CharField(source="area_code")
    meter_numbers = serializers.ListField(child=serializers.CharField())
    baseline_kwh_per_day = serializers.FloatField()
    recent_kwh_per_day = serializers.FloatField()
    drop = serializers.FloatField(help_text="1 − recent ÷ baseline (kWh).")
    share_drop = serializers.FloatField(help_text="The drop of the account's share of the area's supply.")
    step_drop = serializers.FloatField(help_text="The share's drop over the 14 days either side of the change.")
    drop_started = serializers.DateField(help_text="The change point: first day of the lower level.")
    area_rate_before = serializers.FloatField()
    area_rate_after = serializers.FloatField()
    recent_completeness = serializers.FloatField()
    missing_kwh_per_day = serializers.FloatField()
    area_loss_rise_kwh_per_day = serializers.FloatField()


class LineLossAreasView(ListAPIView):
    serializer_class = AreaLossMonthSerializer
    permission_classes = [CanViewLossMonths]
    filter_backends = []
    queryset = AreaLossMonth.objects.none()

    @extend_schema(
        summary="Transformer areas of one month by line-loss rate",
        parameters=[AreasQuerySerializer],
        responses={200: AreaLossMonthSerializer(many=True), 400: OpenApiResponse(description="Invalid parameter.")},
    )
    def get(self, request, *args, **kwargs):
        return self.list(request, *args, **kwargs)

    def get_queryset(self):
        query = AreasQuerySerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        params = query.validated_data
        month = params.get("month")
        if month is None:
            months = loss_months()
            if not months:
                return AreaLossMonth.objects.none()
            month = months[0]
        return area_month_ranking(month=month, feeder_code=params.get("feeder"), flagged_only=params["flagged"])


class LineLossSuspectsView(ListAPIView):
    serializer_class = SuspectSerializer
    permission_classes = [CanViewSuspects]
    filter_backends = []
    queryset = AreaLossMonth.objects.none()

    @extend_schema(
        summary="Accounts suspected of causing line loss, with the evidence",
        parameters=[SuspectsQuerySerializer],
        responses={200: SuspectSerializer(many=True), 400: OpenApiResponse(description="Invalid parameter.")},
    )
    def get(self, request, *args, **kwargs):
        return self.list(request, *args, **kwargs)

    def list(self, request, *args, **kwargs):
        query = SuspectsQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        params = query.validated_data
        area_id = None
        if params.get("area"):
            area = area_by_code(code=params["area"])
            if area is None:
                raise ValidationError({"area": ["No transformer area with this code."]})
            area_id = area.pk
        found = loss_suspects(as_of=params.get("as_of") or clock.today(), area_id=area_id, window=params["window"])
        page = self.paginate_queryset(found)
        return self.get_paginated_response(SuspectSerializer(page, many=True).data)
