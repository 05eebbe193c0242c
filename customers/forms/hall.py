"""Business-hall forms. They check shape only; business rules live in customers.services."""

from __future__ import annotations

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

from customers.access import is_portal_customer
from customers.models import NotificationPreference
from customers.validators import validate_mobile
from security.normalize import normalize_phone

ACCOUNT_NUMBER_WIDGET = forms.TextInput(
    attrs={"inputmode": "numeric", "autocomplete": "off", "maxlength": "10", "placeholder": "3300000001"}
)
account_number_validator = RegexValidator(r"^\d{10}$", _("An account number (户号) has 10 digits."))


class HallLoginForm(AuthenticationForm):
    """Customers sign in with their mobile number (the backend also accepts a username)."""

    username = forms.CharField(
        label=_("Mobile number"),
        max_length=150,
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username", "placeholder": "13812345678"}),
    )
    password = forms.CharField(
        label=_("Password"), strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _("The mobile number or password is incorrect."),
        "not_customer": _("Staff and integrator accounts cannot use the business hall. Please use the admin console."),
    }

    def confirm_login_allowed(self, user) -> None:
        super().confirm_login_allowed(user)
        if not is_portal_customer(user):
            raise forms.ValidationError(self.error_messages["not_customer"], code="not_customer")


PHONE_WIDGET = forms.TextInput(
    attrs={"inputmode": "tel", "autocomplete": "tel", "autofocus": True, "placeholder": "13812345678"}
)
CODE_FIELD_ATTRS = {
    "inputmode": "numeric",
    "autocomplete": "one-time-code",
    "maxlength": "6",
    "pattern": r"\d{6}",
    "placeholder": "000000",
}
code_validator = RegexValidator(r"^\d{6}$", _("The code has 6 digits."))


def _code_field() -> forms.CharField:
    return forms.CharField(
        label=_("Verification code"), validators=[code_validator], widget=forms.TextInput(attrs=CODE_FIELD_ATTRS)
    )


class _NewPasswordForm(forms.Form):
    """Two password fields that must agree (``first_field`` names the first)."""

    first_field = "password"

    def clean(self):
        cleaned = super().clean() or {}
        password, confirm = cleaned.get(self.first_field), cleaned.get("password_confirm")
        if password and confirm and password != confirm:
            self.add_error("password_confirm", forms.ValidationError(_("The two passwords differ."), code="mismatch"))
        return cleaned


def _new_password_field(label) -> forms.CharField:
    return forms.CharField(
        label=label,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("At least 8 characters, not only digits, not a common password."),
    )


def _confirm_field() -> forms.CharField:
    return forms.CharField(
        label=_("Confirm password"), strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )


def _mobile(value: str) -> str:
    """A mainland mobile number in canonical form (the services check it again)."""
    normalized = normalize_phone(value)
    validate_mobile(normalized)
    return normalized


class RegisterStartForm(forms.Form):
    """Step 1: the number to text a code to, and consent to the privacy notice (PIPL: before we use it)."""

    phone = forms.CharField(
        label=_("Mobile number"),
        max_length=20,
        widget=PHONE_WIDGET,
        help_text=_("We will text a verification code to this number. You will sign in with it."),
    )
    accept_privacy = forms.BooleanField(
        label=_("I have read and agree to the privacy notice"),
        error_messages={"required": _("Please read and agree to the privacy notice to register.")},
    )

    def clean_phone(self) -> str:
        return _mobile(self.cleaned_data["phone"])


class RegisterCompleteForm(_NewPasswordForm):
    """Step 2: the code from the text, and the password to create the login with."""

    code = _code_field()
    password = _new_password_field(_("Password"))
    password_confirm = _confirm_field()


class PasswordResetStartForm(forms.Form):
    phone = forms.CharField(
        label=_("Mobile number"),
        max_length=20,
        widget=PHONE_WIDGET,
        help_text=_("The number you registered with. We will text a verification code to it."),
    )

    def clean_phone(self) -> str:
        return _mobile(self.cleaned_data["phone"])


class PasswordResetCompleteForm(_NewPasswordForm):
    first_field = "new_password"

    code = _code_field()
    new_password = _new_password_field(_("New password"))
    password_confirm = _confirm_field()


class IdNumberProofForm(forms.Form):
    account_number = forms.CharField(
        label=_("Account number"), validators=[account_number_validator], widget=ACCOUNT_NUMBER_WIDGET
    )
    id_number_last6 = forms.CharField(
        label=_("Last 6 characters of the holder's ID number"),
        min_length=6,
        max_length=6,
        help_text=_("For enterprises: the last 6 characters of the unified social credit code."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "maxlength": "6", "autocapitalize": "characters"}),
    )

    def clean_id_number_last6(self) -> str:
        return self.cleaned_data["id_number_last6"].strip().upper()


class SendCodeForm(forms.Form):
    account_number = forms.CharField(
        label=_("Account number"), validators=[account_number_validator], widget=ACCOUNT_NUMBER_WIDGET
    )


class CodeProofForm(forms.Form):
    account_number = forms.CharField(validators=[account_number_validator], widget=forms.HiddenInput)
    code = _code_field()


class SwitchAccountForm(forms.Form):
    account_number = forms.CharField(validators=[account_number_validator])
    next = forms.CharField(required=False)


class NotificationPreferencesForm(forms.Form):
    """One checkbox per (kind, channel); field names are "<kind>__<channel>"."""

    def __init__(self, *args, initial_grid: dict[tuple[str, str], bool] | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        initial_grid = initial_grid or {}
        for kind in NotificationPreference.Kind:
            for channel in NotificationPreference.Channel:
                self.fields[self.field_name(kind, channel)] = forms.BooleanField(
                    required=False,
                    label=f"{kind.label} · {channel.label}",
                    initial=initial_grid.get((kind.value, channel.value), True),
                )

    @staticmethod
    def field_name(kind: str, channel: str) -> str:
        return f"{kind}__{channel}"

    def grid_rows(self) -> list[dict]:
        """Rows for the template: each kind with its bound checkbox per channel, in column order."""
        return [
            {
                "label": kind.label,
                "cells": [
                    {"channel": channel.label, "field": self[self.field_name(kind, channel)]}
                    for channel in NotificationPreference.Channel
                ],
            }
            for kind in NotificationPreference.Kind
        ]

    def enabled_pairs(self) -> set[tuple[str, str]]:
        return {
            (kind.value, channel.value)
            for kind in NotificationPreference.Kind
            for channel in NotificationPreference.Channel
            if self.cleaned_data.get(self.field_name(kind, channel))
        }
