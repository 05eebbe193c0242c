from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Feeder(models.Model):
    """Medium-voltage line (线路 / 馈线) feeding transformer areas."""

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    substation = models.CharField(_("substation"), max_length=100, blank=True)
    voltage_kv = models.DecimalField(_("voltage (kV)"), max_digits=6, decimal_places=2, default=10)

    class Meta:
        ordering = ["code"]
        verbose_name = _("feeder")
        verbose_name_plural = _("feeders")

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class TransformerArea(models.Model):
    """Low-voltage area behind one distribution transformer (台区); every account belongs to one."""

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    feeder = models.ForeignKey(Feeder, on_delete=models.PROTECT, related_name="areas", verbose_name=_("feeder"))
    transformer_kva = models.DecimalField(_("transformer rating (kVA)"), max_digits=10, decimal_places=2, default=400)
    district = models.CharField(_("district"), max_length=100, blank=True)
    supervisor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="supervised_areas",
        verbose_name=_("supervisor"),
        help_text=_("Staff member who receives escalations for this area."),
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("transformer area")
        verbose_name_plural = _("transformer areas")
        constraints = [
            models.CheckConstraint(condition=models.Q(transformer_kva__gt=0), name="area_transformer_kva_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"
