"""Forms of the billing app: the staff console (admin) and the business hall (usage page)."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils.translation import gettext_lazy as _


class MeterDataUploadForm(forms.Form):
    file = forms.FileField(
        label=_("Meter-data file"),
        help_text=_(
            "CSV (long, wide 96/48/24 points, register reads), JSON or .xlsx export. Processed in the background."
        ),
    )


class ReadingDayForm(forms.Form):
    day = forms.DateField(label=_("Day"), widget=forms.DateInput(attrs={"type": "date"}))


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
