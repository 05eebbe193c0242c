"""Form widgets shared by the apps."""

from __future__ import annotations

from typing import Any

from django import forms


class DateInput(forms.DateInput):
    """An HTML date picker. Its value must be ISO 8601 whatever the language: Django would render the
    active locale's first input format (2026/11/19 under zh-hans), which a date input shows as blank."""

    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%d")
