"""The staff overview dashboard's filters (staff/analytics/)."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from analytics.selectors.dashboard import DashboardFilters
from core.months import add_months, month_start
from core.web.forms import BoundedDateField, MonthField
from core.web.widgets import DateInput
from customers.models import Feeder, TransformerArea

MAX_MONTHS = 36


class DashboardFilterForm(forms.Form):
    month_from = MonthField(label=gettext_lazy("From month"), required=False)
    month_to = MonthField(label=gettext_lazy("To month"), required=False)
    as_of = BoundedDateField(
        label=gettext_lazy("Arrears as of"),
        required=False,
        widget=DateInput(),
    )
    feeder = forms.ModelChoiceField(label=gettext_lazy("Feeder"), queryset=Feeder.objects.all(), required=False)
    area = forms.ModelChoiceField(
        label=gettext_lazy("Transformer area"), queryset=TransformerArea.objects.all(), required=False
    )

    def clean(self):
        data = super().clean()
        start, end = data.get("month_from"), data.get("month_to")
        if start and end:
            if start > end:
                raise forms.ValidationError(_("The first month must not be after the last month."))
            if (end.year - start.year) * 12 + end.month - start.month >= MAX_MONTHS:
                raise forms.ValidationError(_("Choose at most %(n)d months.") % {"n": MAX_MONTHS})
        return data

    def filters(self, *, today: dt.date) -> DashboardFilters:
        """The chosen filters, defaults where a value is missing: the twelve months up to last month,
        arrears as of today. Call after is_valid(); an invalid form gives the defaults."""
        data = self.cleaned_data if self.is_valid() else {}
        month_to = data.get("month_to") or add_months(month_start(today), -1)
        month_from = data.get("month_from") or add_months(month_to, -11)
        if month_from > month_to:
            month_from = add_months(month_to, -11)
        return DashboardFilters(
            month_from=month_from,
            month_to=month_to,
            as_of=data.get("as_of") or today,
            area_id=data["area"].pk if data.get("area") else None,
            feeder_id=data["feeder"].pk if data.get("feeder") else None,
        )
