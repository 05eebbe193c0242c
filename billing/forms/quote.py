"""The business hall's quote calculator ("what would 300 kWh cost me")."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from core.web.forms import MonthField, MonthInput

# The calculator's kWh inputs take two decimals (a customer types "300" or "12.5"), while kWh are stored
# to 0.0001: a stored figure pre-filled into an input is rounded to the input's step first.
KWH_INPUT_STEP = Decimal("0.01")


def as_kwh_input(value: Decimal) -> Decimal:
    """A stored kWh figure as the calculator's kWh inputs take it: to 0.01 kWh, half up."""
    return value.quantize(KWH_INPUT_STEP, rounding=ROUND_HALF_UP)


class QuoteForm(forms.Form):
    """The quote calculator ("what would 300 kWh cost me"). The kWh fields follow the chosen tariff's
    version: one total for single-rate tariffs, one per TOU period otherwise."""

    PERIOD_LABELS = {
        "total": _("Electricity used (kWh)"),
        "sharp": _("Sharp-peak kWh"),
        "peak": _("Peak kWh"),
        "flat": _("Flat kWh"),
        "valley": _("Valley kWh"),
    }

    tariff = forms.CharField(widget=forms.HiddenInput)
    month = MonthField(label=_("Billing month"), widget=MonthInput(attrs={"class": "input"}))

    def __init__(self, *args, periods: list[str], tiered: bool, two_part: bool, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.periods = periods
        for period in periods:
            self.fields[f"kwh_{period}"] = forms.DecimalField(
                label=self.PERIOD_LABELS[period],
                min_value=0,
                max_digits=12,
                decimal_places=2,
                widget=forms.NumberInput(attrs={"class": "input", "inputmode": "decimal", "step": "any"}),
            )
        if tiered:
            self.fields["annual_kwh_before"] = forms.DecimalField(
                label=_("kWh already used this year"),
                help_text=_("Decides the tier. Pre-filled with this year's billed kWh."),
                min_value=0,
                max_digits=12,
                decimal_places=2,
                required=False,
                widget=forms.NumberInput(attrs={"class": "input", "inputmode": "decimal", "step": "any"}),
            )
        if two_part:
            self.fields["contracted_kva"] = forms.DecimalField(
                label=_("Contracted capacity (kVA)"),
                min_value=0,
                max_digits=12,
                decimal_places=2,
                widget=forms.NumberInput(attrs={"class": "input", "inputmode": "decimal", "step": "any"}),
            )
            self.fields["power_factor"] = forms.DecimalField(
                label=_("Power factor"),
                min_value=0,
                max_value=1,
                max_digits=4,
                decimal_places=3,
                widget=forms.NumberInput(attrs={"class": "input", "inputmode": "decimal", "step": "0.01"}),
            )

    def consumption(self) -> dict[str, Decimal]:
        return {period: self.cleaned_data[f"kwh_{period}"] for period in self.periods}

    def field_for_error(self, error_field: str) -> str | None:
        """The form field a QuoteError's ``field`` names ("consumption.peak" → "kwh_peak")."""
        if error_field.startswith("consumption."):
            name = "kwh_" + error_field.split(".", 1)[1]
        elif error_field in ("period_start", "period_end"):
            name = "month"
        else:
            name = error_field
        return name if name in self.fields else None
