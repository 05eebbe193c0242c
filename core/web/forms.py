"""Form fields shared by staff and business-hall pages."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from core.months import month_start


class MonthInput(forms.TextInput):
    """An HTML month picker; its value is always ISO ``YYYY-MM`` whatever the language."""

    input_type = "month"

    def format_value(self, value: Any) -> str | None:
        if isinstance(value, dt.date):
            return f"{value:%Y-%m}"
        formatted: str | None = super().format_value(value)
        return formatted


class MonthField(forms.Field):
    """A calendar month as the date of its first day; accepts ``YYYY-MM`` (and ``YYYY-MM-DD``) in
    years 1900–9998, so next-month arithmetic on it can never overflow."""

    widget = MonthInput
    default_error_messages = {"invalid": _("Enter a month as YYYY-MM.")}

    def to_python(self, value: Any) -> dt.date | None:
        if value in self.empty_values:
            return None
        if isinstance(value, dt.date):
            return month_start(value)
        text = str(value).strip()
        try:
            parsed = dt.date.fromisoformat(f"{text}-01" if len(text) == 7 else text)
        except ValueError:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from None
        if not 1900 <= parsed.year <= 9998:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return month_start(parsed)
