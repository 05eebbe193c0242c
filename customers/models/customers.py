import uuid

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from customers.validators import validate_credit_code, validate_id_number, validate_mobile
from security.fields import BlindIndexField, BlindIndexSaveMixin, EncryptedQuerySet, EncryptedTextField
from security.masking import mask_address, mask_email, mask_identifier, mask_phone


class CustomerQuerySet(EncryptedQuerySet):
    def by_id_number(self, value: str):
        return self.matching("id_number", value)

    def by_phone(self, value: str):
        return self.matching("phone", value)


class Customer(BlindIndexSaveMixin, models.Model):
    """A person or an enterprise holding one or more accounts. ID number, phone, e-mail and address
    are encrypted in the application (security.fields); only their blind indexes are searchable."""

    class Kind(models.TextChoices):
        INDIVIDUAL = "individual", _("Individual")
        ENTERPRISE = "enterprise", _("Enterprise")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False, verbose_name=_("public ID"))
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.INDIVIDUAL)
    name = models.CharField(_("name"), max_length=200, db_index=True)
    id_number_bidx = BlindIndexField(source="id_number", verbose_name=_("ID number index"))
    id_number = EncryptedTextField(
        _("ID number / credit code"),
        normalizer="identifier",
        help_text=_("身份证号 for individuals, 统一社会信用代码 for enterprises."),
    )
    phone_bidx = BlindIndexField(source="phone", verbose_name=_("phone index"))
    phone = EncryptedTextField(_("mobile number"), normalizer="phone", validators=[validate_mobile])
    email_bidx = BlindIndexField(source="email", verbose_name=_("e-mail index"))
    email = EncryptedTextField(_("e-mail"), normalizer="email")
    address = EncryptedTextField(_("address"))
    tags = models.ManyToManyField("customers.Tag", blank=True, related_name="customers", verbose_name=_("tags"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))

    objects = CustomerQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        permissions = [("reveal_customer_pii", "Can reveal unmasked personal data (audited)")]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        super().clean()
        if not self.id_number:
            raise ValidationError({"id_number": _("This field is required.")})
        validator = validate_id_number if self.kind == self.Kind.INDIVIDUAL else validate_credit_code
        try:
            validator(self.id_number)
        except ValidationError as exc:
            raise ValidationError({"id_number": exc.messages}) from None

    @property
    def masked_id_number(self) -> str:
        return mask_identifier(self.id_number)

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone)

    @property
    def masked_email(self) -> str:
        return mask_email(self.email)

    @property
    def masked_address(self) -> str:
        return mask_address(self.address)
