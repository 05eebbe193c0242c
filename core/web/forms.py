"""Form fields shared by staff and business-hall pages."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from core.months import month_start
from core.time import MAX_INPUT_YEAR, MIN_INPUT_YEAR, validate_input_date


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
    the input years of core.time (1900–9998), so next-month arithmetic on it can never overflow."""

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
        if not MIN_INPUT_YEAR <= parsed.year <= MAX_INPUT_YEAR:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return month_start(parsed)


class BoundedDateField(forms.DateField):
    """A date in the input years of core.time: the day after, the month after and a window around it
    always exist (``?day=9999-12-31`` is a field error, not an OverflowError)."""

    default_validators = [validate_input_date]


class BoundedDateTimeField(forms.DateTimeField):
    """A date-time in the input years with a real UTC offset (−12:00 … +14:00; PostgreSQL refuses
    offsets past ±15:59 with a DataError)."""

    default_validators = [validate_input_date]
