"""Line loss (线损) per transformer area: supplied (area summary meter) − consumed (customer meters).

A day or month whose data are not complete enough is kept and shown (``incomplete``) but never flagged
as a loss anomaly and never used as history for the jump test: missing customer intervals look exactly
like loss, missing summary intervals like negative loss.
"""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.fields import DecimalColumn, NullableDecimalColumn

KWH: DecimalColumn = {"max_digits": 18, "decimal_places": 4}
RATE: NullableDecimalColumn = {"max_digits": 10, "decimal_places": 6, "null": True, "blank": True}
SHARE: DecimalColumn = {"max_digits": 7, "decimal_places": 6}
FLAG_LABELS = {
    "negative": _("negative loss"),
    "high": _("loss above threshold"),
    "jump": _("jump against history"),
    "incomplete": _("incomplete data"),
}


class _AreaLoss(models.Model):
    area = models.ForeignKey(
        "customers.TransformerArea", on_delete=models.CASCADE, related_name="+", verbose_name=_("transformer area")
    )
    supplied_kwh = models.DecimalField(_("supplied kWh"), **KWH, help_text=_("Area summary meter × multiplier."))
    consumed_kwh = models.DecimalField(_("consumed kWh"), **KWH, help_text=_("Customer meters × multiplier."))
    loss_kwh = models.DecimalField(_("loss kWh"), **KWH)
    loss_rate = models.DecimalField(
        _("loss rate"), **RATE, help_text=_("Loss ÷ supplied; empty when nothing was supplied.")
    )
    summary_expected = models.PositiveIntegerField(_("summary intervals expected"), default=0)
    summary_measured = models.PositiveIntegerField(_("summary intervals measured"), default=0)
    customer_expected = models.PositiveIntegerField(_("customer intervals expected"), default=0)
    customer_measured = models.PositiveIntegerField(_("customer intervals measured"), default=0)
    summary_completeness = models.DecimalField(_("summary completeness"), **SHARE)
    customer_completeness = models.DecimalField(_("customer completeness"), **SHARE)
    customer_meters = models.PositiveIntegerField(_("customer meters"), default=0)
    baseline_rate = models.DecimalField(
        _("baseline rate"), **RATE, help_text=_("Median rate of the area's recent complete periods (jump test).")
    )
    incomplete = models.BooleanField(_("incomplete data"), default=False)
    flag_negative = models.BooleanField(_("negative loss"), default=False)
    flag_high = models.BooleanField(_("loss above threshold"), default=False)
    flag_jump = models.BooleanField(_("jump against history"), default=False)
    flagged = models.BooleanField(_("flagged"), default=False, help_text=_("Any of the three loss flags."))
    computed_at = models.DateTimeField(_("computed at"))

    class Meta:
        abstract = True

    @property
    def flag_names(self) -> list[str]:
        names = [("negative", self.flag_negative), ("high", self.flag_high), ("jump", self.flag_jump)]
        return [name for name, on in names if on] + (["incomplete"] if self.incomplete else [])

    @property
    def flags_display(self) -> list[tuple[str, str]]:
        """(code, label) of each flag, for pages."""
        return [(name, FLAG_LABELS[name]) for name in self.flag_names]

    @property
    def rate_pct(self) -> str:
        return "—" if self.loss_rate is None else f"{self.loss_rate * 100:.2f} %"

    @property
    def baseline_pct(self) -> str:
        return "—" if self.baseline_rate is None else f"{self.baseline_rate * 100:.2f} %"

    @property
    def summary_pct(self) -> str:
        return f"{self.summary_completeness * 100:.1f} %"

    @property
    def customer_pct(self) -> str:
        return f"{self.customer_completeness * 100:.1f} %" if self.customer_expected else "—"


class AreaLossDay(_AreaLoss):
    day = models.DateField(_("day"), help_text=_("Asia/Shanghai calendar day."))

    class Meta:
        ordering = ["area", "day"]
        verbose_name = _("area line loss (day)")
        verbose_name_plural = _("area line loss (days)")
        constraints = [
            models.UniqueConstraint(fields=["area", "day"], name="area_loss_day_unique"),
            models.CheckConstraint(
                condition=Q(incomplete=False) | Q(flagged=False), name="area_loss_day_incomplete_not_flagged"
            ),
        ]
        indexes = [models.Index(fields=["day", "flagged"], name="area_loss_day_flagged")]

    def __str__(self) -> str:
        return f"{self.area_id} {self.day}: {self.loss_rate}"


class AreaLossMonth(_AreaLoss):
    month = models.DateField(_("month"), help_text=_("First day of the month."))
    days = models.PositiveSmallIntegerField(_("days computed"), default=0)
    complete_days = models.PositiveSmallIntegerField(_("complete days"), default=0)

    class Meta:
        ordering = ["area", "month"]
        verbose_name = _("area line loss (month)")
        verbose_name_plural = _("area line loss (months)")
        constraints = [
            models.UniqueConstraint(fields=["area", "month"], name="area_loss_month_unique"),
            models.CheckConstraint(condition=Q(month__day=1), name="area_loss_month_first_day"),
            models.CheckConstraint(
                condition=Q(incomplete=False) | Q(flagged=False), name="area_loss_month_incomplete_not_flagged"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.area_id} {self.month:%Y-%m}: {self.loss_rate}"
