"""The business hall usage page's pickers."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from core.web.forms import BoundedDateField, MonthField


class UsageSelectionForm(forms.Form):
    """The business hall usage page's pickers (query string): the day of the load curve, the month of
    the daily totals and TOU split, and the year of the monthly comparison. All optional: a missing or
    invalid value falls back to the latest period with data."""

    day = BoundedDateField(label=_("Day"), required=False)
    month = MonthField(label=_("Month"), required=False)
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100, required=False)
