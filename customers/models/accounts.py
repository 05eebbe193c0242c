import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from customers.validators import validate_account_number
from security.fields import EncryptedQuerySet, EncryptedTextField
from security.masking import mask_address


class AccountQuerySet(EncryptedQuerySet):
    def active(self):
        return self.filter(status=Account.Status.ACTIVE)


class Account(models.Model):
    """A service account (户号) at one premise, attached to one transformer area."""

    class Category(models.TextChoices):
        RESIDENTIAL = "residential", _("Residential")
        COMMERCIAL = "commercial", _("Commercial")
        INDUSTRIAL = "industrial", _("Industrial")
        AGRICULTURAL = "agricultural", _("Agricultural")

    class VoltageLevel(models.TextChoices):
        V220 = "220V", _("220 V single-phase")
        V380 = "380V", _("380 V three-phase")
        KV10 = "10kV", _("10 kV")
        KV35 = "35kV", _("35 kV")
        KV110 = "110kV", _("110 kV")

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        PAUSED = "paused", _("Paused")
        CLOSED = "closed", _("Closed")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False, verbose_name=_("public ID"))
    number = models.CharField(_("account number"), max_length=10, unique=True, validators=[validate_account_number])
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="accounts", verbose_name=_("customer")
    )
    premise_address = EncryptedTextField(_("premise address"))
    category = models.CharField(_("category"), max_length=16, choices=Category.choices, db_index=True)
    voltage_level = models.CharField(_("voltage level"), max_length=8, choices=VoltageLevel.choices)
    contracted_kva = models.DecimalField(_("contracted capacity (kVA)"), max_digits=10, decimal_places=2)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.ACTIVE, db_index=True)
    opened_on = models.DateField(_("opened on"))
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    area = models.ForeignKey(
        "customers.TransformerArea",
        on_delete=models.PROTECT,
        related_name="accounts",
        verbose_name=_("transformer area"),
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))

    objects = AccountQuerySet.as_manager()

    class Meta:
        ordering = ["number"]
        verbose_name = _("account")
        verbose_name_plural = _("accounts")
        constraints = [
            models.CheckConstraint(condition=models.Q(contracted_kva__gt=0), name="account_contracted_kva_positive"),
            models.CheckConstraint(
                condition=models.Q(closed_on__isnull=True) | models.Q(closed_on__gte=models.F("opened_on")),
                name="account_closed_after_opened",
            ),
            models.CheckConstraint(
                condition=models.Q(status="closed", closed_on__isnull=False)
                | (~models.Q(status="closed") & models.Q(closed_on__isnull=True)),
                name="account_closed_status_has_date",
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def masked_premise_address(self) -> str:
        return mask_address(self.premise_address)
