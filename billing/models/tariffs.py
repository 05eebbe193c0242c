"""Versioned tariffs (电价) and time-of-use calendars.

A version is valid on [valid_from, valid_to) (valid_to exclusive, open-ended when null). Once a bill
has used a version it is locked: a change is a new version, never an edit.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.fields import NullableDecimalColumn

RATE: NullableDecimalColumn = {"max_digits": 10, "decimal_places": 5, "null": True, "blank": True}


class TouPeriod(models.TextChoices):
    SHARP = "sharp", _("Sharp peak")
    PEAK = "peak", _("Peak")
    FLAT = "flat", _("Flat")
    VALLEY = "valley", _("Valley")


class TouCalendar(models.Model):
    """Which TOU period each time of day falls in, by month. Windows for specific months override the
    all-year windows; a time covered by no window is the calendar's default period."""

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    default_period = models.CharField(_("default period"), max_length=8, choices=TouPeriod.choices)

    class Meta:
        ordering = ["code"]
        verbose_name = _("TOU calendar")
        verbose_name_plural = _("TOU calendars")

    def __str__(self) -> str:
        return self.code


class TouWindow(models.Model):
    calendar = models.ForeignKey(
        TouCalendar, on_delete=models.CASCADE, related_name="windows", verbose_name=_("calendar")
    )
    months = models.CharField(
        _("months"), max_length=40, blank=True, help_text=_("Comma-separated month numbers; blank = every month.")
    )
    start = models.TimeField(_("start"))
    end = models.TimeField(_("end"), help_text=_("Exclusive; 00:00 means midnight at the end of the day."))
    period = models.CharField(_("period"), max_length=8, choices=TouPeriod.choices)

    class Meta:
        ordering = ["calendar", "months", "start"]
        verbose_name = _("TOU window")
        verbose_name_plural = _("TOU windows")

    def __str__(self) -> str:
        return f"{self.calendar_id} {self.months or '*'} {self.start:%H:%M}-{self.end:%H:%M} {self.period}"

    @property
    def month_set(self) -> frozenset[int]:
        return frozenset(int(m) for m in self.months.split(",") if m.strip())


class Tariff(models.Model):
    class Category(models.TextChoices):
        RESIDENTIAL = "residential", _("Residential")
        COMMERCIAL = "commercial", _("Commercial")
        INDUSTRIAL = "industrial", _("Industrial")
        AGRICULTURAL = "agricultural", _("Agricultural")

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    category = models.CharField(_("category"), max_length=16, choices=Category.choices)
    description = models.TextField(_("description"), blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("tariff")
        verbose_name_plural = _("tariffs")

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class TariffVersion(models.Model):
    tariff = models.ForeignKey(Tariff, on_delete=models.PROTECT, related_name="versions", verbose_name=_("tariff"))
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to (exclusive)"), null=True, blank=True)
    tou_calendar = models.ForeignKey(
        TouCalendar, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("TOU calendar")
    )
    rate_total = models.DecimalField(
        _("single energy rate"), help_text=_("CNY/kWh; for tariffs without TOU periods."), **RATE
    )
    rate_sharp = models.DecimalField(_("sharp-peak rate"), **RATE)
    rate_peak = models.DecimalField(_("peak rate"), **RATE)
    rate_flat = models.DecimalField(_("flat rate"), **RATE)
    rate_valley = models.DecimalField(_("valley rate"), **RATE)
    tier1_max_kwh = models.DecimalField(
        _("tier 1 up to (kWh/year)"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    tier2_max_kwh = models.DecimalField(
        _("tier 2 up to (kWh/year)"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    tier2_surcharge = models.DecimalField(_("tier 2 surcharge"), **RATE)
    tier3_surcharge = models.DecimalField(_("tier 3 surcharge"), **RATE)
    capacity_rate = models.DecimalField(_("capacity charge (CNY/kVA·month)"), **RATE)
    demand_rate = models.DecimalField(_("demand charge (CNY/kW·month)"), **RATE)
    power_factor_standard = models.DecimalField(
        _("power-factor standard"), max_digits=3, decimal_places=2, null=True, blank=True
    )
    fixed_monthly = models.DecimalField(_("fixed monthly charge"), max_digits=10, decimal_places=2, default=0)
    locked_at = models.DateTimeField(
        _("locked at"),
        null=True,
        blank=True,
        editable=False,
        help_text=_("Set when a bill first used this version; locked versions are never edited."),
    )

    class Meta:
        ordering = ["tariff", "valid_from"]
        verbose_name = _("tariff version")
        verbose_name_plural = _("tariff versions")
        constraints = [
            models.UniqueConstraint(fields=["tariff", "valid_from"], name="tariff_version_unique_start"),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gt=models.F("valid_from")),
                name="tariff_version_valid_range",
            ),
            models.CheckConstraint(
                condition=Q(rate_total__isnull=False) | Q(tou_calendar__isnull=False),
                name="tariff_version_has_energy_rates",
            ),
            models.CheckConstraint(
                condition=Q(tier1_max_kwh__isnull=True) | Q(tier2_max_kwh__gt=models.F("tier1_max_kwh")),
                name="tariff_version_tiers_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.tariff.code} from {self.valid_from}"

    def covers(self, day: dt.date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day < self.valid_to)

    def clean(self) -> None:
        super().clean()
        overlapping = TariffVersion.objects.filter(tariff_id=self.tariff_id).exclude(pk=self.pk)
        overlapping = overlapping.filter(Q(valid_to__isnull=True) | Q(valid_to__gt=self.valid_from))
        if self.valid_to is not None:
            overlapping = overlapping.filter(valid_from__lt=self.valid_to)
        if self.tariff_id and overlapping.exists():
            raise ValidationError({"valid_from": _("This period overlaps another version of the same tariff.")})
        if self.pk and TariffVersion.objects.filter(pk=self.pk, locked_at__isnull=False).exists():
            raise ValidationError(
                _("This version has been used by a bill and cannot be edited; add a new version instead.")
            )
