from decimal import Decimal

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class MeterQuerySet(models.QuerySet):
    def installed_at(self, moment):
        """Meters in service at ``moment`` (installed_at inclusive, removed_at exclusive)."""
        return self.filter(Q(installed_at__lte=moment), Q(removed_at__isnull=True) | Q(removed_at__gt=moment))


class Meter(models.Model):
    """An energy meter. Exchanges keep history: the old meter gets ``removed_at``, the new one is a
    new row with ``installed_at`` at the same moment on the same account."""

    class Role(models.TextChoices):
        CUSTOMER = "customer", _("Customer meter")
        AREA_SUMMARY = "area_summary", _("Transformer-area summary meter")

    class Phase(models.TextChoices):
        SINGLE = "single", _("Single-phase")
        THREE = "three", _("Three-phase")

    meter_no = models.CharField(_("meter number"), max_length=32, unique=True)
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.CUSTOMER)
    account = models.ForeignKey(
        "customers.Account",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="meters",
        verbose_name=_("account"),
    )
    area = models.ForeignKey(
        "customers.TransformerArea", on_delete=models.PROTECT, related_name="meters", verbose_name=_("transformer area")
    )
    manufacturer = models.CharField(_("manufacturer"), max_length=100, blank=True)
    model_name = models.CharField(_("model"), max_length=100, blank=True)
    accuracy_class = models.CharField(_("accuracy class"), max_length=8, blank=True, default="1.0")
    phase = models.CharField(_("phase"), max_length=8, choices=Phase.choices, default=Phase.SINGLE)
    multiplier = models.DecimalField(
        _("multiplier (倍率)"),
        max_digits=10,
        decimal_places=2,
        default=Decimal("1"),
        help_text=_("CT ratio × PT ratio."),
    )
    has_tou_registers = models.BooleanField(_("has TOU registers"), default=True)
    interval_minutes = models.PositiveSmallIntegerField(_("interval (minutes)"), default=15)
    register_digits = models.PositiveSmallIntegerField(
        _("register digits"), default=6, help_text=_("Whole-kWh digits; the register rolls over at 10^digits.")
    )
    installed_at = models.DateTimeField(_("installed at"))
    removed_at = models.DateTimeField(_("removed at"), null=True, blank=True)

    objects = MeterQuerySet.as_manager()

    class Meta:
        ordering = ["meter_no"]
        verbose_name = _("meter")
        verbose_name_plural = _("meters")
        constraints = [
            models.CheckConstraint(condition=Q(multiplier__gt=0), name="meter_multiplier_positive"),
            models.CheckConstraint(condition=Q(interval_minutes__in=[15, 30, 60]), name="meter_interval_15_30_60"),
            models.CheckConstraint(
                condition=Q(removed_at__isnull=True) | Q(removed_at__gt=models.F("installed_at")),
                name="meter_removed_after_installed",
            ),
            models.CheckConstraint(
                condition=(Q(role="customer") & Q(account__isnull=False))
                | (Q(role="area_summary") & Q(account__isnull=True)),
                name="meter_role_matches_account",
            ),
            models.UniqueConstraint(
                fields=["area"],
                condition=Q(role="area_summary", removed_at__isnull=True),
                name="meter_one_summary_per_area",
            ),
        ]

    def __str__(self) -> str:
        return self.meter_no

    @property
    def rollover_kwh(self) -> Decimal:
        return Decimal(10) ** self.register_digits
