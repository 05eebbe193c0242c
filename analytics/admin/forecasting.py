"""Staff console for forecasting: scopes (with a retrain action), the model registry (read-only,
artefact facts only — never the artefact), issued forecasts and weather."""

from __future__ import annotations

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from analytics.models import Forecast, ForecastModel, ForecastScope, ForecastSlot, WeatherObservation
from analytics.services.forecasting import enqueue_training
from core import clock
from core.web.admin import ReadOnlyAdmin, ReadOnlyTabularInline


@admin.register(ForecastScope)
class ForecastScopeAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "resolution_minutes", "active", "created_at"]
    list_filter = ["kind", "active", "resolution_minutes"]
    search_fields = ["name", "feeder__code", "area__code", "account__number", "category"]
    raw_id_fields = ["feeder", "area", "account"]
    actions = ["retrain"]

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # scopes with models are history; deactivate instead

    @admin.action(description=_("Retrain the selected scopes now"), permissions=["change"])
    def retrain(self, request, queryset) -> None:
        queued = enqueue_training(as_of=clock.now(), scope_ids=list(queryset.values_list("pk", flat=True)))
        self.message_user(request, _("%(n)d scope(s) queued for training.") % {"n": queued}, messages.INFO)


@admin.register(ForecastModel)
class ForecastModelAdmin(ReadOnlyAdmin):
    list_display = ["scope", "version", "status", "trained_at", "window_start", "window_end", "mape", "coverage"]
    list_filter = ["status", "scope__kind", "uses_temperature"]
    search_fields = ["scope__name"]
    readonly_fields = [
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
        "artefact_path",
        "artefact_sha256",
        "artefact_bytes",
    ]

    @admin.display(description="MAPE %")
    def mape(self, obj: ForecastModel):
        value = obj.metrics.get("mape")
        return f"{value:.2f}" if isinstance(value, int | float) else "-"

    @admin.display(description=_("P10–P90 coverage"))
    def coverage(self, obj: ForecastModel):
        value = obj.metrics.get("coverage_p10_p90")
        return f"{value:.2f}" if isinstance(value, int | float) else "-"


class ForecastSlotInline(ReadOnlyTabularInline):
    model = ForecastSlot
    fields = ["slot_start", "p10", "p50", "p90"]
    readonly_fields = fields  # type: ignore[assignment]  # flat names; the stubs type fields as field groups


@admin.register(Forecast)
class ForecastAdmin(ReadOnlyAdmin):
    list_display = ["scope", "day", "model", "issued_at", "uses_temperature"]
    list_filter = ["scope__kind", "day"]
    search_fields = ["scope__name"]
    date_hierarchy = "day"
    readonly_fields = ["scope", "model", "day", "issued_at", "uses_temperature"]
    inlines = [ForecastSlotInline]


@admin.register(WeatherObservation)
class WeatherObservationAdmin(admin.ModelAdmin):
    list_display = ["area", "at", "kind", "temperature_c", "issued_at"]
    list_filter = ["kind"]
    search_fields = ["area__code", "area__name"]
    raw_id_fields = ["area"]
    date_hierarchy = "at"
