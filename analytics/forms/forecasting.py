"""The staff forecasts page's choice of scope and date range (staff/analytics/forecasts/)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from analytics.models import ForecastScope
from analytics.selectors.forecasting import forecast_scopes
from core.web.forms import BoundedDateField
from core.web.widgets import DateInput

MAX_RANGE_DAYS = 62


class ForecastRangeForm(forms.Form):
    scope = forms.ModelChoiceField(queryset=ForecastScope.objects.none(), label=_("Scope"))
    day_from = BoundedDateField(label=_("From"), widget=DateInput())
    day_to = BoundedDateField(label=_("To"), widget=DateInput())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["scope"].queryset = forecast_scopes().order_by("kind", "name")

    def clean(self):
        data = super().clean()
        start, end = data.get("day_from"), data.get("day_to")
        if start and end:
            if end < start:
                raise forms.ValidationError(_("The end date is before the start date."))
            if (end - start).days >= MAX_RANGE_DAYS:
                raise forms.ValidationError(_("Choose at most %(n)d days.") % {"n": MAX_RANGE_DAYS})
        return data
