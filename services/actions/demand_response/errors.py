from __future__ import annotations

from django.core.exceptions import ValidationError


class DemandResponseError(ValidationError):
    """A demand-response rule refused the request; ``code`` is stable, the message says what to fix."""

    def __init__(self, message: str, *, code: str, field: str | None = None) -> None:
        super().__init__({field: [ValidationError(message, code=code)]} if field else message, code=code)
        self.rule_code = code
        self.field_name = field
