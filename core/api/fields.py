"""Serializer fields for dates and times that come from outside, range-checked like every other
date input (core.time): a year in 1900–9998 and, for date-times, a real UTC offset."""

from __future__ import annotations

from rest_framework import serializers

from core.time import validate_input_date


class BoundedDateField(serializers.DateField):
    default_validators = [validate_input_date]


class BoundedDateTimeField(serializers.DateTimeField):
    default_validators = [validate_input_date]
