from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Quality(models.IntegerChoices):
    ACTUAL = 0, _("Actual")
    ESTIMATED = 1, _("Estimated")
    EDITED = 2, _("Edited")


class RegisterRead(models.Model):
    """Cumulative kWh registers (示数) at one moment, usually frozen daily at 00:00."""

    meter = models.ForeignKey(
        "billing.Meter", on_delete=models.PROTECT, related_name="register_reads", verbose_name=_("meter")
    )
    read_at = models.DateTimeField(_("read at"))
    total = models.DecimalField(_("total"), max_digits=14, decimal_places=2)
    sharp = models.DecimalField(_("sharp peak"), max_digits=14, decimal_places=2, null=True, blank=True)
    peak = models.DecimalField(_("peak"), max_digits=14, decimal_places=2, null=True, blank=True)
    flat = models.DecimalField(_("flat"), max_digits=14, decimal_places=2, null=True, blank=True)
    valley = models.DecimalField(_("valley"), max_digits=14, decimal_places=2, null=True, blank=True)
    reactive = models.DecimalField(
        _("reactive (kvarh)"),
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("Cumulative reactive energy; with the active total it gives the month's power factor."),
    )
    quality = models.SmallIntegerField(_("quality"), choices=Quality.choices, default=Quality.ACTUAL)
    batch = models.ForeignKey(
        "billing.IngestBatch",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("batch"),
    )

    class Meta:
        ordering = ["meter", "read_at"]
        verbose_name = _("register read")
        verbose_name_plural = _("register reads")
        constraints = [
            models.UniqueConstraint(fields=["meter", "read_at"], name="register_read_unique_meter_time"),
            models.CheckConstraint(condition=models.Q(total__gte=0), name="register_read_total_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.meter_id}@{self.read_at:%Y-%m-%d %H:%M} {self.total}"


class IntervalReading(models.Model):
    """Energy in one interval (15/30/60 min) starting at ``interval_start``, as measured by the meter
    (multiply by the meter's multiplier for primary-side kWh).

    Unmanaged: migration 0002 creates the table itself, declaratively partitioned by month on
    PostgreSQL (see docs/metering.md). ``meter`` has no database FK on purpose: ingestion validates
    every meter number before writing, meters are never deleted (they are removed), and a per-row
    FK check would be paid on every one of the billions of rows this table grows to.
    """

    pk = models.CompositePrimaryKey("meter_id", "interval_start")
    meter = models.ForeignKey(
        "billing.Meter", on_delete=models.DO_NOTHING, db_constraint=False, related_name="+", verbose_name=_("meter")
    )
    interval_start = models.DateTimeField(_("interval start"))
    kwh = models.DecimalField(_("kWh"), max_digits=12, decimal_places=4)
    quality = models.SmallIntegerField(_("quality"), choices=Quality.choices, default=Quality.ACTUAL)
    batch_id = models.BigIntegerField(_("batch"), null=True, blank=True)

    class Meta:
        managed = False
        db_table = "billing_intervalreading"
        ordering = ["meter_id", "interval_start"]
        verbose_name = _("interval reading")
        verbose_name_plural = _("interval readings")

    def __str__(self) -> str:
        return f"{self.meter_id}@{self.interval_start:%Y-%m-%d %H:%M} {self.kwh}"


class ReadingEdit(models.Model):
    """A staff correction of an interval reading: the old and new value and the mandatory reason."""

    meter = models.ForeignKey("billing.Meter", on_delete=models.PROTECT, related_name="+", verbose_name=_("meter"))
    interval_start = models.DateTimeField(_("interval start"))
    old_kwh = models.DecimalField(_("old kWh"), max_digits=12, decimal_places=4, null=True)
    new_kwh = models.DecimalField(_("new kWh"), max_digits=12, decimal_places=4)
    old_quality = models.SmallIntegerField(choices=Quality.choices, null=True, verbose_name=_("old quality"))
    reason = models.TextField(_("reason"))
    edited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("edited by")
    )
    edited_at = models.DateTimeField(auto_now_add=True, verbose_name=_("edited at"))

    class Meta:
        ordering = ["-edited_at"]
        verbose_name = _("reading edit")
        verbose_name_plural = _("reading edits")
        constraints = [models.CheckConstraint(condition=~models.Q(reason=""), name="reading_edit_reason_required")]

    def __str__(self) -> str:
        return f"{self.meter_id}@{self.interval_start:%Y-%m-%d %H:%M}: {self.old_kwh} → {self.new_kwh}"


class MeterDayCompleteness(models.Model):
    """How much of one meter-day (Asia/Shanghai calendar day) the interval data covers, and the day's
    energy; refreshed by every ingest batch for the days it touched, so billing can refuse silently
    poor data and daily totals (line loss) need not scan the day's 96 readings again."""

    meter = models.ForeignKey("billing.Meter", on_delete=models.CASCADE, related_name="+", verbose_name=_("meter"))
    day = models.DateField(_("day"))
    expected = models.PositiveSmallIntegerField(_("expected intervals"))
    actual = models.PositiveSmallIntegerField(_("actual intervals"))
    estimated = models.PositiveSmallIntegerField(_("estimated intervals"))
    edited = models.PositiveSmallIntegerField(_("edited intervals"), default=0)
    kwh = models.DecimalField(
        _("kWh (meter side)"),
        max_digits=14,
        decimal_places=4,
        default=0,
        help_text=_("Sum of the day's interval readings of every quality, before the meter's multiplier."),
    )

    class Meta:
        ordering = ["meter", "day"]
        verbose_name = _("meter-day completeness")
        verbose_name_plural = _("meter-day completeness")
        constraints = [models.UniqueConstraint(fields=["meter", "day"], name="completeness_unique_meter_day")]

    def __str__(self) -> str:
        return f"{self.meter_id} {self.day}: {self.percent_present:.1f}%"

    @property
    def percent_present(self) -> float:
        """Share of expected intervals with a measured (actual or edited) value, in percent."""
        return 100.0 * (self.actual + self.edited) / self.expected if self.expected else 0.0
