"""The FilterSet every API and page list filters through.

django-filter's date and date-time filters hand whatever ``fromisoformat`` accepts to the database:
an offset like ``-19:32`` is a PostgreSQL DataError and a year like 0001 overflows the arithmetic
around it. This base class gives every date and date-time form field of a filter set — declared,
generated from ``Meta.fields`` or inside a from–to range — core.time's range check, so each such
value is a 400 naming the parameter.
"""

from __future__ import annotations

from typing import Any

import django_filters
from django import forms

from core.time import validate_input_date


def _bound_dates(field: forms.Field) -> None:
    if isinstance(field, forms.DateField | forms.DateTimeField) and validate_input_date not in field.validators:
        field.validators.append(validate_input_date)
    for subfield in getattr(field, "fields", ()):  # MultiValueField: the from–to ranges
        _bound_dates(subfield)


class FilterSet(django_filters.FilterSet):
    @property
    def form(self) -> Any:
        if not hasattr(self, "_form"):
            form = super().form
            for field in form.fields.values():
                _bound_dates(field)
        return self._form
