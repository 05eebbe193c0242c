"""Staff console forms for meter data: uploading a file, picking a meter's day, correcting a reading."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from core.web.forms import BoundedDateField, BoundedDateTimeField
from core.web.widgets import DateInput


class MeterDataUploadForm(forms.Form):
    file = forms.FileField(
        label=_("Meter-data file"),
        help_text=_(
            "CSV (long, wide 96/48/24 points, register reads), JSON or .xlsx export. Processed in the background."
        ),
    )


class ReadingDayForm(forms.Form):
    day = BoundedDateField(label=_("Day"), widget=DateInput())


class ReadingEditForm(forms.Form):
    interval_start = BoundedDateTimeField(widget=forms.HiddenInput)
    kwh = forms.DecimalField(label=_("New kWh"), min_value=0, max_digits=12, decimal_places=4)
    reason = forms.CharField(label=_("Reason (required)"), max_length=500, widget=forms.TextInput(attrs={"size": 40}))
