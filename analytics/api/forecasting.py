"""/api/v1/ forecasting: scopes, the model registry with backtest metrics, forecasts with their slots
and the actual load where known, and weather (read, and bulk upsert). Staff and integrators by model
permission (ModelPermissionsWithView); portal customers hold none of these permissions, so are refused."""

from __future__ import annotations

from typing import Any

from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import (
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from analytics.filtersets import ForecastFilterSet, ForecastModelFilterSet, ForecastScopeFilterSet, WeatherFilterSet
from analytics.models import Forecast, ForecastModel, ForecastScope, WeatherObservation
from analytics.selectors.forecasting import (
    actual_by_slot,
    forecast_list,
    forecast_models,
    forecast_scopes,
    weather_observations,
)
from analytics.services.weather import ingest_weather
from core.time import SHANGHAI
from customers.api.permissions import ModelPermissionsWithView

MAX_WEATHER_ROWS = 50_000


# --- serializers -----------------------------------------------------------------------------------


class ForecastScopeSerializer(serializers.ModelSerializer):
    # A scope is one of system, feeder, area or account: the other two references are null.
    feeder: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="code", read_only=True, allow_null=True
    )
    area: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="code", read_only=True, allow_null=True
    )
    account: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="number", read_only=True, allow_null=True
    )

    class Meta:
        model = ForecastScope
        fields = ["id", "kind", "name", "feeder", "area", "account", "category", "resolution_minutes", "active"]
        read_only_fields = fields


class ForecastModelSerializer(serializers.ModelSerializer):
    class Meta:
        model = ForecastModel
        fields = [
            "id",
            "scope",
            "version",
            "status",
            "trained_at",
            "window_start",
            "window_end",
            "resolution_minutes",
            "features",
            "params",
            "metrics",
            "uses_temperature",
            "sklearn_version",
            "artefact_sha256",
            "artefact_bytes",
        ]
        read_only_fields = fields


class ForecastSlotSerializer(serializers.Serializer):
    start = serializers.DateTimeField()
    p10 = serializers.FloatField()
    p50 = serializers.FloatField()
    p90 = serializers.FloatField()
    actual = serializers.FloatField(allow_null=True, help_text="Measured kWh in the slot; null while unknown")


class ForecastSerializer(serializers.ModelSerializer):
    model_version = serializers.IntegerField(source="model.version", read_only=True)
    slots = serializers.SerializerMethodField()

    class Meta:
        model = Forecast
        fields = ["id", "scope", "model", "model_version", "day", "issued_at", "uses_temperature", "slots"]
        read_only_fields = fields

    @extend_schema_field(ForecastSlotSerializer(many=True))
    def get_slots(self, forecast: Forecast) -> list[dict]:
        actual = actual_by_slot(scope=forecast.scope, day=forecast.day)
        return [
            {
                "start": slot.slot_start.astimezone(SHANGHAI),
                "p10": slot.p10,
                "p50": slot.p50,
                "p90": slot.p90,
                "actual": actual.get(slot.slot_start.astimezone(SHANGHAI)),
            }
            for slot in forecast.slots.all()
        ]


class WeatherSerializer(serializers.ModelSerializer):
    area: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = WeatherObservation
        fields = ["area", "at", "kind", "temperature_c", "issued_at"]
        read_only_fields = fields


class WeatherUploadSerializer(serializers.Serializer):
    observations = serializers.ListField(
        child=serializers.DictField(),
        allow_empty=False,
        max_length=MAX_WEATHER_ROWS,
        help_text="Objects with area (code), at (ISO 8601), temperature_c, kind (observed|forecast), issued_at",
    )


FILTERS = [DjangoFilterBackend]


# --- views ----------------------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(summary="List forecast scopes"), retrieve=extend_schema(summary="Get a forecast scope")
)
class ForecastScopeViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = ForecastScopeSerializer
    permission_classes = [ModelPermissionsWithView]
    filter_backends = FILTERS
    filterset_class = ForecastScopeFilterSet
    queryset = ForecastScope.objects.none()

    def get_queryset(self):
        return forecast_scopes().order_by("pk")


@extend_schema_view(
    list=extend_schema(summary="List model versions with their backtest metrics"),
    retrieve=extend_schema(summary="Get a model version"),
)
class ForecastModelViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = ForecastModelSerializer
    permission_classes = [ModelPermissionsWithView]
    filter_backends = FILTERS
    filterset_class = ForecastModelFilterSet
    queryset = ForecastModel.objects.none()

    def get_queryset(self):
        return forecast_models()


@extend_schema_view(
    list=extend_schema(summary="List forecasts (filter by scope and day) with P10/P50/P90 and actual per slot"),
    retrieve=extend_schema(summary="Get a forecast with its slots and the actual load where known"),
)
class ForecastViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = ForecastSerializer
    permission_classes = [ModelPermissionsWithView]
    filter_backends = FILTERS
    filterset_class = ForecastFilterSet
    queryset = Forecast.objects.none()

    def get_queryset(self):
        return forecast_list()


@extend_schema_view(
    list=extend_schema(summary="List weather observations and forecasts"),
    create=extend_schema(
        summary="Upsert weather rows in bulk (all or nothing)",
        request=WeatherUploadSerializer,
        responses={
            200: inline_serializer(
                "WeatherUpserted",
                {
                    "created": serializers.IntegerField(),
                    "updated": serializers.IntegerField(),
                    "unchanged": serializers.IntegerField(),
                },
            ),
            400: OpenApiResponse(description="Row errors under error.fields.observations: {index: [message]}"),
        },
    ),
)
class WeatherViewSet(mixins.ListModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet):
    permission_classes = [ModelPermissionsWithView]
    filter_backends = FILTERS
    filterset_class = WeatherFilterSet
    queryset = WeatherObservation.objects.none()

    def get_serializer_class(self):
        return WeatherUploadSerializer if self.action == "create" else WeatherSerializer

    def get_queryset(self):
        return weather_observations()

    def create(self, request, *args, **kwargs):
        upload = WeatherUploadSerializer(data=request.data)
        upload.is_valid(raise_exception=True)
        # All or nothing: an integrator fixes the listed rows and sends the batch again (idempotent).
        result = ingest_weather(records=upload.validated_data["observations"], first_line=0, all_or_nothing=True)
        if result.rejected:
            raise ValidationError({"observations": {str(e.line): [e.message] for e in result.rejected}})
        return Response(
            {"created": result.created, "updated": result.updated, "unchanged": result.unchanged},
            status=status.HTTP_200_OK,
        )
