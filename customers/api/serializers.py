"""Serializers for /api/v1/ customer records.

Personal data is accepted in plaintext on write (``write_only``) and only ever returned masked
(``*_masked``); the single exception is the audited reveal action. Related objects are addressed by
their public keys (customer public id, account number, area code), and the querysets they are looked
up in are the requesting user's visible ones, so a write cannot reach a record its author cannot see.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from core.api.fields import BoundedDateTimeField
from customers.access import accounts_visible_to, customers_visible_to
from customers.models import Account, Customer, Feeder, Interaction, Tag, TransformerArea
from customers.selectors.grid import transformer_areas_visible_to
from security.normalize import normalize_identifier, normalize_phone


def _label(model, field_name: str):
    """The model field's (translated) verbose name, for fields declared here rather than generated."""
    return capfirst(model._meta.get_field(field_name).verbose_name)


class _VisibleSlugRelatedField(serializers.SlugRelatedField):
    """Looks the slug up among the objects the requesting user may see; malformed input is a field error."""

    def __init__(self, **kwargs):
        # A text input in the browsable API, not a <select> listing every record the user can see.
        kwargs.setdefault("style", {"base_template": "input.html"})
        super().__init__(**kwargs)

    def visible_queryset(self, *, user) -> QuerySet:
        raise NotImplementedError

    def get_queryset(self) -> QuerySet:
        request = self.context.get("request")
        if request is None:
            # Every subclass names its model's queryset (for the schema): an empty one of it.
            queryset = super().get_queryset()
            assert queryset is not None
            return queryset.none()
        return self.visible_queryset(user=request.user)

    def to_internal_value(self, data):
        try:
            return super().to_internal_value(data)
        except DjangoValidationError:
            # e.g. a UUID field given "not-a-uuid" or a JSON object: Django raises its own error here.
            self.fail("invalid")


class VisibleCustomerField(_VisibleSlugRelatedField):
    def __init__(self, **kwargs):
        # ``queryset`` names the model for schema generation; lookups use the visible queryset.
        super().__init__(slug_field="public_id", queryset=Customer.objects.all(), **kwargs)

    def visible_queryset(self, *, user) -> QuerySet[Customer]:
        return customers_visible_to(user=user)


class VisibleAccountField(_VisibleSlugRelatedField):
    def __init__(self, **kwargs):
        super().__init__(slug_field="number", queryset=Account.objects.all(), **kwargs)

    def visible_queryset(self, *, user) -> QuerySet[Account]:
        return accounts_visible_to(user=user)


class VisibleAreaField(_VisibleSlugRelatedField):
    def __init__(self, **kwargs):
        super().__init__(slug_field="code", queryset=TransformerArea.objects.all(), **kwargs)

    def visible_queryset(self, *, user) -> QuerySet[TransformerArea]:
        return transformer_areas_visible_to(user=user)


class CustomerSerializer(serializers.ModelSerializer):
    """Masked on read. On update, personal-data fields left out are kept as they are."""

    public_id = serializers.UUIDField(read_only=True)
    id_number = serializers.CharField(
        write_only=True,
        max_length=32,
        label=_label(Customer, "id_number"),
        help_text=_("身份证号 for individuals, 统一社会信用代码 for enterprises."),
    )
    phone = serializers.CharField(
        write_only=True, required=False, allow_blank=True, max_length=32, label=_label(Customer, "phone")
    )
    email = serializers.EmailField(
        write_only=True, required=False, allow_blank=True, max_length=254, label=_label(Customer, "email")
    )
    address = serializers.CharField(
        write_only=True, required=False, allow_blank=True, max_length=500, label=_label(Customer, "address")
    )
    id_number_masked = serializers.CharField(source="masked_id_number", read_only=True)
    phone_masked = serializers.CharField(source="masked_phone", read_only=True)
    email_masked = serializers.CharField(source="masked_email", read_only=True)
    address_masked = serializers.CharField(source="masked_address", read_only=True)
    tags = serializers.SlugRelatedField(
        many=True, slug_field="name", queryset=Tag.objects.all(), required=False, label=_label(Customer, "tags")
    )

    class Meta:
        model = Customer
        fields = [
            "public_id",
            "kind",
            "name",
            "id_number",
            "phone",
            "email",
            "address",
            "id_number_masked",
            "phone_masked",
            "email_masked",
            "address_masked",
            "tags",
            "created_at",
        ]
        read_only_fields = ["created_at"]

    def get_fields(self):
        fields = super().get_fields()
        if self.instance is not None:
            # Updating: the ID number is not re-entered unless it changes.
            fields["id_number"].required = False
        return fields

    def validate_id_number(self, value: str) -> str:
        # The check digit, region and birth date are validated by Customer.clean (per kind).
        return normalize_identifier(value)

    def validate_phone(self, value: str) -> str:
        return normalize_phone(value)

    def validate_email(self, value: str) -> str:
        return value.strip()


class RevealedCustomerPIISerializer(serializers.Serializer):
    """Plaintext personal data: only in the (audited) reveal response."""

    id_number = serializers.CharField()
    phone = serializers.CharField()
    email = serializers.CharField()
    address = serializers.CharField()


class AccountSerializer(serializers.ModelSerializer):
    """An account (户号); its number is chosen on creation and never changes."""

    customer = VisibleCustomerField(label=_label(Account, "customer"), help_text=_("Public id of the account holder."))
    area = VisibleAreaField(label=_label(Account, "area"), help_text=_("Transformer area (台区) code."))
    premise_address = serializers.CharField(write_only=True, max_length=500, label=_label(Account, "premise_address"))
    premise_address_masked = serializers.CharField(source="masked_premise_address", read_only=True)
    contracted_kva = serializers.DecimalField(
        max_digits=10, decimal_places=2, min_value=Decimal("0.01"), label=_label(Account, "contracted_kva")
    )

    class Meta:
        model = Account
        fields = [
            "number",
            "customer",
            "category",
            "voltage_level",
            "contracted_kva",
            "status",
            "opened_on",
            "closed_on",
            "area",
            "premise_address",
            "premise_address_masked",
        ]

    def validate_number(self, value: str) -> str:
        if self.instance is not None and value != self.instance.number:
            raise serializers.ValidationError(_("An account number cannot be changed."))
        return value

    def validate(self, attrs: dict) -> dict:
        # Same rules as the model's check constraints, reported against the field to fix.
        def effective(name):
            return attrs[name] if name in attrs else getattr(self.instance, name, None)

        status = effective("status") or Account.Status.ACTIVE
        opened_on = effective("opened_on")
        closed_on = effective("closed_on")
        if status == Account.Status.CLOSED and closed_on is None:
            raise serializers.ValidationError({"closed_on": _("A closed account needs its closing date.")})
        if status != Account.Status.CLOSED and closed_on is not None:
            raise serializers.ValidationError({"closed_on": _("Only a closed account has a closing date.")})
        if closed_on is not None and opened_on is not None and closed_on < opened_on:
            raise serializers.ValidationError({"closed_on": _("The closing date cannot be before the opening date.")})
        return attrs


class TransformerAreaSerializer(serializers.ModelSerializer):
    feeder: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = TransformerArea
        fields = ["code", "name", "feeder", "transformer_kva", "district"]


class FeederSerializer(serializers.ModelSerializer):
    class Meta:
        model = Feeder
        fields = ["code", "name", "substation", "voltage_kv"]


class InteractionSerializer(serializers.ModelSerializer):
    """A CRM contact log entry; the signed-in staff member is recorded as its author."""

    customer = VisibleCustomerField(
        label=_label(Interaction, "customer"), help_text=_("Public id of the customer contacted.")
    )
    account = VisibleAccountField(
        required=False, allow_null=True, label=_label(Interaction, "account"), help_text=_("Account number, if any.")
    )
    staff: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="username", read_only=True, label=_label(Interaction, "staff")
    )
    occurred_at = BoundedDateTimeField(
        required=False, label=_label(Interaction, "occurred_at"), help_text=_("Defaults to the time of the request.")
    )

    class Meta:
        model = Interaction
        fields = ["id", "customer", "account", "channel", "topic", "notes", "staff", "occurred_at"]

    def validate(self, attrs: dict) -> dict:
        account = attrs.get("account")
        if account is not None and account.customer_id != attrs["customer"].pk:
            raise serializers.ValidationError({"account": _("This account does not belong to the customer.")})
        return attrs
