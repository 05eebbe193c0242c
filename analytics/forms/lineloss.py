"""Filters of the staff line-loss pages (staff/analytics/line-loss/)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy

from core.web.forms import BoundedDateField, MonthField
from customers.models import Feeder


class RankingFilterForm(forms.Form):
    month = MonthField(label=gettext_lazy("Month"), required=False, help_text="YYYY-MM")
    feeder = forms.ModelChoiceField(
        label=gettext_lazy("Feeder"), queryset=Feeder.objects.order_by("code"), to_field_name="code", required=False
    )
    area = forms.CharField(label=gettext_lazy("Area code"), required=False, max_length=32)
    flagged = forms.BooleanField(label=gettext_lazy("Flagged only"), required=False)


class SuspectFilterForm(forms.Form):
    area = forms.CharField(label=gettext_lazy("Area code"), required=False, max_length=32)
    as_of = BoundedDateField(label=gettext_lazy("Up to (exclusive)"), required=False)
    window = forms.IntegerField(label=gettext_lazy("Recent days"), min_value=7, max_value=90, required=False)
