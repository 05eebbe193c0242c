"""django-filter FilterSets for customer records, shared by the API, business-hall pages and admin.

Encrypted columns are never filtered or ordered directly: exact ID number, phone and e-mail search goes
through the blind index (``EncryptedQuerySet.matching``), and any other query parameter that touches an
encrypted column or its index is refused with a form error (a clean 400 in the API), not ignored, so a
caller never mistakes "this filter does not exist" for "nothing matched".
"""

from __future__ import annotations

import django_filters
from django.db.models import QuerySet
from django.forms.utils import ErrorList
from django.utils.translation import gettext_lazy as _

from core.api.filters import FilterSet
from customers.models import Account, Customer, Feeder, Interaction, TransformerArea
from customers.models.customers import CustomerQuerySet
from security.fields import BlindIndexField, EncryptedTextField


def _protected_names() -> frozenset[str]:
    """Names of every encrypted column and blind index in our customer models."""
    names = set()
    for model in (Customer, Account, Interaction, TransformerArea, Feeder):
        for field in model._meta.concrete_fields:
            if isinstance(field, EncryptedTextField | BlindIndexField):
                names.add(field.name)
    return frozenset(names)


class EncryptedGuardFilterSet(FilterSet):
    """Refuses query parameters that would filter on an encrypted column (``phone__icontains``,
    ``address``, ``customer__id_number``, ``phone_bidx`` …) unless the FilterSet declares that exact
    name as a blind-index filter."""

    refused_message = _("This field is encrypted: only exact search through its declared filter is possible.")

    def refused_params(self) -> list[str]:
        if not self.is_bound:
            return []
        protected = _protected_names()
        return sorted(
            key for key in self.data if key not in self.filters and any(part in protected for part in key.split("__"))
        )

    def is_valid(self) -> bool:
        valid = super().is_valid()
        refused = self.refused_params()
        for name in refused:
            self.form.errors[name] = ErrorList([str(self.refused_message)])
        return valid and not refused


class CustomerFilterSet(EncryptedGuardFilterSet):
    id_number = django_filters.CharFilter(method="filter_blind_index", label=_("ID number / credit code (exact)"))
    phone = django_filters.CharFilter(method="filter_blind_index", label=_("mobile number (exact)"))
    email = django_filters.CharFilter(method="filter_blind_index", label=_("e-mail (exact)"))
    account_number = django_filters.CharFilter(field_name="accounts__number", label=_("account number"))
    name = django_filters.CharFilter(lookup_expr="icontains", label=_("name contains"))
    kind = django_filters.ChoiceFilter(choices=Customer.Kind.choices)
    tag = django_filters.CharFilter(field_name="tags__name", label=_("tag"))
    ordering = django_filters.OrderingFilter(fields=(("name", "name"), ("created_at", "created_at"), ("id", "id")))

    class Meta:
        model = Customer
        fields = ["id_number", "phone", "email", "account_number", "name", "kind", "tag"]

    def filter_blind_index(self, queryset: CustomerQuerySet, name: str, value: str) -> QuerySet[Customer]:
        # ``matching`` normalises the value, looks it up by keyed HMAC and confirms by decryption.
        return queryset.matching(name, value)


class AccountFilterSet(EncryptedGuardFilterSet):
    number = django_filters.CharFilter(label=_("account number"))
    customer = django_filters.UUIDFilter(field_name="customer__public_id", label=_("customer public id"))
    category = django_filters.ChoiceFilter(choices=Account.Category.choices)
    voltage_level = django_filters.ChoiceFilter(choices=Account.VoltageLevel.choices)
    status = django_filters.ChoiceFilter(choices=Account.Status.choices)
    area = django_filters.CharFilter(field_name="area__code", label=_("transformer area code"))
    feeder = django_filters.CharFilter(field_name="area__feeder__code", label=_("feeder code"))
    opened_on = django_filters.DateFromToRangeFilter()
    ordering = django_filters.OrderingFilter(
        fields=(("number", "number"), ("opened_on", "opened_on"), ("contracted_kva", "contracted_kva"))
    )

    class Meta:
        model = Account
        fields = ["number", "customer", "category", "voltage_level", "status", "area", "feeder", "opened_on"]


class TransformerAreaFilterSet(EncryptedGuardFilterSet):
    code = django_filters.CharFilter()
    name = django_filters.CharFilter(lookup_expr="icontains", label=_("name contains"))
    feeder = django_filters.CharFilter(field_name="feeder__code", label=_("feeder code"))
    district = django_filters.CharFilter(lookup_expr="icontains", label=_("district contains"))
    ordering = django_filters.OrderingFilter(fields=(("code", "code"), ("name", "name")))

    class Meta:
        model = TransformerArea
        fields = ["code", "name", "feeder", "district"]


class FeederFilterSet(EncryptedGuardFilterSet):
    code = django_filters.CharFilter()
    name = django_filters.CharFilter(lookup_expr="icontains", label=_("name contains"))
    substation = django_filters.CharFilter(lookup_expr="icontains", label=_("substation contains"))
    ordering = django_filters.OrderingFilter(fields=(("code", "code"), ("name", "name")))

    class Meta:
        model = Feeder
        fields = ["code", "name", "substation"]


class InteractionFilterSet(EncryptedGuardFilterSet):
    customer = django_filters.UUIDFilter(field_name="customer__public_id", label=_("customer public id"))
    account = django_filters.CharFilter(field_name="account__number", label=_("account number"))
    channel = django_filters.ChoiceFilter(choices=Interaction.Channel.choices)
    occurred_at = django_filters.IsoDateTimeFromToRangeFilter()
    ordering = django_filters.OrderingFilter(fields=(("occurred_at", "occurred_at"), ("id", "id")))

    class Meta:
        model = Interaction
        fields = ["customer", "account", "channel", "occurred_at"]
