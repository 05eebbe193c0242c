"""Staff-console (admin) forms that never put plaintext personal data into a page: current values are
shown masked, and a new value is typed into an empty input (blank keeps the stored value)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, MutableMapping
from typing import Any

from django import forms
from django.db import models
from django.utils.translation import gettext_lazy as _

from customers.models import Account, Customer
from customers.validators import validate_mobile
from security.masking import mask_address, mask_email, mask_identifier, mask_phone

CUSTOMER_PII_MASKS = {
    "id_number": mask_identifier,
    "phone": mask_phone,
    "email": mask_email,
    "address": mask_address,
}


class MaskedPIIFormMixin:
    """Adds one optional input per encrypted field; ``pii_fields`` maps field name → mask function."""

    pii_fields: Mapping[str, Callable[[str | None], str]] = {}
    required_on_add: tuple[str, ...] = ()
    # Provided by the ModelForm it is mixed into.
    instance: models.Model
    fields: dict[str, forms.Field]
    initial: MutableMapping[str, Any]
    cleaned_data: dict[str, Any]

    def _init_pii_fields(self) -> None:
        adding = self.instance._state.adding
        for name, mask in self.pii_fields.items():
            model_field = self.instance._meta.get_field(name)
            assert isinstance(model_field, models.Field)  # pii_fields name the model's own columns
            current = None if adding else getattr(self.instance, name)
            help_text = (
                _("Current value: %(masked)s. Leave blank to keep it.") % {"masked": mask(current) or "—"}
                if not adding
                else model_field.help_text
            )
            self.fields[name] = forms.CharField(
                label=model_field.verbose_name,
                required=adding and name in self.required_on_add,
                help_text=help_text,
                widget=forms.TextInput(attrs={"autocomplete": "off"}),
            )
            # The admin's form factory lists these names, so ModelForm pre-filled them with plaintext.
            self.initial[name] = ""

    def _apply_pii_fields(self) -> None:
        for name in self.pii_fields:
            value = (self.cleaned_data.get(name) or "").strip()
            if value:
                setattr(self.instance, name, value)
            else:
                # Blank means "keep": stop ModelForm from writing the empty string over the stored value.
                self.cleaned_data.pop(name, None)

    @property
    def changed_pii_fields(self) -> list[str]:
        return [name for name in self.pii_fields if (self.cleaned_data.get(name) or "").strip()]


class CustomerAdminForm(MaskedPIIFormMixin, forms.ModelForm):
    pii_fields = CUSTOMER_PII_MASKS
    required_on_add = ("id_number", "phone")

    class Meta:
        model = Customer
        fields = ["kind", "name", "tags"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._init_pii_fields()

    def clean_phone(self) -> str:
        value = (self.cleaned_data.get("phone") or "").strip()
        if value:
            validate_mobile(value)
        return value

    def _post_clean(self) -> None:
        # Put new plaintext on the instance before model validation (Customer.clean checks the ID number).
        if hasattr(self, "cleaned_data"):
            self._apply_pii_fields()
        super()._post_clean()  # type: ignore[misc]  # ModelForm's private hook, not in the stubs


class AccountAdminForm(MaskedPIIFormMixin, forms.ModelForm):
    pii_fields = {"premise_address": mask_address}
    required_on_add = ("premise_address",)

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
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._init_pii_fields()

    def _post_clean(self) -> None:
        if hasattr(self, "cleaned_data"):
            self._apply_pii_fields()
        super()._post_clean()  # type: ignore[misc]  # ModelForm's private hook, not in the stubs
