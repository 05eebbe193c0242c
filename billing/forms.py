"""Forms of the billing app: the staff console (admin) and the business hall (usage page)."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils.translation import gettext_lazy as _

from core.web.widgets import DateInput


class MeterDataUploadForm(forms.Form):
    file = forms.FileField(
        label=_("Meter-data file"),
        help_text=_(
            "CSV (long, wide 96/48/24 points, register reads), JSON or .xlsx export. Processed in the background."
        ),
    )


class ReadingDayForm(forms.Form):
    day = forms.DateField(label=_("Day"), widget=DateInput())


class ReadingEditForm(forms.Form):
    interval_start = forms.DateTimeField(widget=forms.HiddenInput)
    kwh = forms.DecimalField(label=_("New kWh"), min_value=0, max_digits=12, decimal_places=4)
    reason = forms.CharField(label=_("Reason (required)"), max_length=500, widget=forms.TextInput(attrs={"size": 40}))


class UsageSelectionForm(forms.Form):
    """The business hall usage page's pickers (query string): the day of the load curve, the month of
    the daily totals and TOU split, and the year of the monthly comparison. All optional: a missing or
    invalid value falls back to the latest period with data."""

    day = forms.DateField(label=_("Day"), required=False)
    month = forms.RegexField(
        label=_("Month"),
        regex=r"^\d{4}-(0[1-9]|1[0-2])$",
        required=False,
        error_messages={"invalid": _("Enter a month as YYYY-MM.")},
    )
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100, required=False)

    def clean_month(self) -> dt.date | None:
        value = self.cleaned_data.get("month")
        return dt.date(int(value[:4]), int(value[5:]), 1) if value else None


class PayForm(forms.Form):
    """The business hall's "pay" buttons: with a bill, that bill's outstanding amount; without, the
    account's whole balance. The amount is never taken from the browser."""

    bill = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)


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
    month = forms.RegexField(
        label=_("Billing month"),
        regex=r"^\d{4}-(0[1-9]|1[0-2])$",
        error_messages={"invalid": _("Enter a month as YYYY-MM.")},
        widget=forms.TextInput(attrs={"type": "month", "class": "input"}),
    )

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

    def clean_month(self) -> dt.date:
        value = self.cleaned_data["month"]
        return dt.date(int(value[:4]), int(value[5:]), 1)

    def consumption(self) -> dict[str, object]:
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


class BillingRunForm(forms.Form):
    month = forms.DateField(
        label=_("Month"),
        input_formats=["%Y-%m"],
        widget=forms.DateInput(attrs={"type": "month"}, format="%Y-%m"),
        help_text=_(
            "Every account supplied in the month is billed; accounts already billed are counted, not billed again."
        ),
    )
