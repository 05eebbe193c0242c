"""Load forecasting: what is forecast (scopes), the weather it may use, the model registry and the
issued forecasts with one row per slot (so the API and charts read slots with plain queries)."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class ForecastScope(models.Model):
    """One load series to forecast: the whole system, a feeder, a transformer area, a customer
    category or a single large account. Exactly the field matching ``kind`` is set."""

    class Kind(models.TextChoices):
        SYSTEM = "system", _("Whole system")
        FEEDER = "feeder", _("Feeder")
        AREA = "area", _("Transformer area")
        CATEGORY = "category", _("Customer category")
        ACCOUNT = "account", _("Account")

    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=120)
    feeder = models.ForeignKey(
        "customers.Feeder", null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("feeder")
    )
    area = models.ForeignKey(
        "customers.TransformerArea",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("transformer area"),
    )
    account = models.ForeignKey(
        "customers.Account",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("account"),
    )
    category = models.CharField(_("customer category"), max_length=16, blank=True)
    resolution_minutes = models.PositiveSmallIntegerField(
        _("resolution (minutes)"), default=15, choices=[(15, "15"), (30, "30")]
    )
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))

    class Meta:
        ordering = ["kind", "name"]
        verbose_name = _("forecast scope")
        verbose_name_plural = _("forecast scopes")
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(kind="system", feeder__isnull=True, area__isnull=True, account__isnull=True, category="")
                    | Q(kind="feeder", feeder__isnull=False, area__isnull=True, account__isnull=True, category="")
                    | Q(kind="area", feeder__isnull=True, area__isnull=False, account__isnull=True, category="")
                    | Q(kind="account", feeder__isnull=True, area__isnull=True, account__isnull=False, category="")
                    | (
                        Q(kind="category", feeder__isnull=True, area__isnull=True, account__isnull=True)
                        & ~Q(category="")
                    )
                ),
                name="forecastscope_target_matches_kind",
            ),
            models.CheckConstraint(condition=Q(resolution_minutes__in=[15, 30]), name="forecastscope_resolution_15_30"),
            # One scope per target and resolution (conditional: NULL FKs would never clash otherwise).
            models.UniqueConstraint(
                fields=["kind", "resolution_minutes"], condition=Q(kind="system"), name="forecastscope_one_system"
            ),
            models.UniqueConstraint(
                fields=["feeder", "resolution_minutes"], condition=Q(kind="feeder"), name="forecastscope_one_per_feeder"
            ),
            models.UniqueConstraint(
                fields=["area", "resolution_minutes"], condition=Q(kind="area"), name="forecastscope_one_per_area"
            ),
            models.UniqueConstraint(
                fields=["account", "resolution_minutes"],
                condition=Q(kind="account"),
                name="forecastscope_one_per_account",
            ),
            models.UniqueConstraint(
                fields=["category", "resolution_minutes"],
                condition=Q(kind="category"),
                name="forecastscope_one_per_category",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.resolution_minutes} min)"


class WeatherObservation(models.Model):
    """Air temperature at one moment for one transformer area: measured, or forecast (issued at
    ``issued_at``; a later issue replaces the earlier one for the same moment). Areas, not districts:
    every scope resolves to a set of areas, so a scope's temperature is the mean over its areas."""

    class Kind(models.TextChoices):
        OBSERVED = "observed", _("Observed")
        FORECAST = "forecast", _("Forecast")

    area = models.ForeignKey(
        "customers.TransformerArea", on_delete=models.CASCADE, related_name="+", verbose_name=_("transformer area")
    )
    at = models.DateTimeField(_("at"))
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices, default=Kind.OBSERVED)
    temperature_c = models.DecimalField(_("temperature (°C)"), max_digits=5, decimal_places=2)
    issued_at = models.DateTimeField(_("issued at"), null=True, blank=True)

    class Meta:
        ordering = ["area", "at", "kind"]
        verbose_name = _("weather observation")
        verbose_name_plural = _("weather observations")
        constraints = [
            models.UniqueConstraint(fields=["area", "at", "kind"], name="weather_unique_area_at_kind"),
            models.CheckConstraint(
                condition=Q(temperature_c__gte=-60, temperature_c__lte=60), name="weather_temperature_plausible"
            ),
            models.CheckConstraint(
                condition=Q(kind="observed", issued_at__isnull=True) | Q(kind="forecast", issued_at__isnull=False),
                name="weather_issued_at_only_for_forecasts",
            ),
        ]
        indexes = [models.Index(fields=["at", "area"], name="weather_at_area")]

    def __str__(self) -> str:
        return f"{self.area_id}@{self.at:%Y-%m-%d %H:%M} {self.kind} {self.temperature_c}°C"


class ForecastModel(models.Model):
    """A trained model of one scope (the registry): its artefact lives in private storage and is loaded
    only when the file's SHA-256 equals ``artefact_sha256``."""

    class Status(models.TextChoices):
        ACTIVE = "active", pgettext_lazy("forecast model status", "Active")
        RETIRED = "retired", _("Retired")

    scope = models.ForeignKey(ForecastScope, on_delete=models.PROTECT, related_name="models", verbose_name=_("scope"))
    version = models.PositiveIntegerField(_("version"))
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.ACTIVE)
    trained_at = models.DateTimeField(_("trained at"))
    window_start = models.DateField(_("training window start"))
    window_end = models.DateField(_("training window end (exclusive)"))
    resolution_minutes = models.PositiveSmallIntegerField(_("resolution (minutes)"))
    features = models.JSONField(_("features"), default=list)
    params = models.JSONField(_("hyper-parameters"), default=dict)
    metrics = models.JSONField(_("backtest metrics"), default=dict)
    uses_temperature = models.BooleanField(_("uses temperature"), default=False)
    sklearn_version = models.CharField(_("scikit-learn version"), max_length=32)
    artefact_path = models.CharField(_("artefact path"), max_length=255, help_text=_("Relative to private storage."))
    artefact_sha256 = models.CharField(_("artefact SHA-256"), max_length=64)
    artefact_bytes = models.PositiveIntegerField(_("artefact size (bytes)"))

    class Meta:
        ordering = ["scope", "-version"]
        verbose_name = _("forecast model")
        verbose_name_plural = _("forecast models")
        constraints = [
            models.UniqueConstraint(fields=["scope", "version"], name="forecastmodel_unique_scope_version"),
            models.UniqueConstraint(
                fields=["scope"], condition=Q(status="active"), name="forecastmodel_one_active_per_scope"
            ),
            models.CheckConstraint(condition=Q(window_end__gt=models.F("window_start")), name="forecastmodel_window"),
        ]

    def __str__(self) -> str:
        return f"{self.scope} v{self.version}"


class Forecast(models.Model):
    """A day-ahead forecast of one scope for one local day by one model version (issued once)."""

    scope = models.ForeignKey(
        ForecastScope, on_delete=models.PROTECT, related_name="forecasts", verbose_name=_("scope")
    )
    model = models.ForeignKey(
        ForecastModel,
        on_delete=models.PROTECT,
        related_name="forecasts",
        verbose_name=pgettext_lazy("forecast", "model"),
    )
    day = models.DateField(_("day"))
    issued_at = models.DateTimeField(_("issued at"))
    uses_temperature = models.BooleanField(_("uses temperature"), default=False)

    class Meta:
        ordering = ["scope", "-day", "-issued_at"]
        verbose_name = _("forecast")
        verbose_name_plural = _("forecasts")
        constraints = [
            models.UniqueConstraint(fields=["scope", "day", "model"], name="forecast_unique_scope_day_model"),
        ]
        indexes = [models.Index(fields=["scope", "day"], name="forecast_scope_day")]

    def __str__(self) -> str:
        return f"{self.scope} {self.day} (v{self.model.version})"


class ForecastSlot(models.Model):
    """One interval of a forecast: P10/P50/P90 of the energy (kWh) in [slot_start, slot_start + resolution)."""

    forecast = models.ForeignKey(Forecast, on_delete=models.CASCADE, related_name="slots", verbose_name=_("forecast"))
    slot_start = models.DateTimeField(_("slot start"))
    p10 = models.FloatField(_("P10"))
    p50 = models.FloatField(_("P50"))
    p90 = models.FloatField(_("P90"))

    class Meta:
        ordering = ["forecast", "slot_start"]
        verbose_name = _("forecast slot")
        verbose_name_plural = _("forecast slots")
        constraints = [
            models.UniqueConstraint(fields=["forecast", "slot_start"], name="forecastslot_unique_forecast_start"),
            models.CheckConstraint(
                condition=Q(p10__lte=models.F("p50"), p50__lte=models.F("p90")), name="forecastslot_quantiles_ordered"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.forecast_id}@{self.slot_start:%H:%M} {self.p50:.2f}"
