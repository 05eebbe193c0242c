"""The API's JSON parser: a document holding a NUL or a lone surrogate anywhere is a field error.

Neither can be stored by PostgreSQL (a NUL in text or jsonb is "A string literal cannot contain NUL"
or "unsupported Unicode escape sequence"; a lone surrogate cannot be encoded to UTF-8), yet JSON
carries both (``"\\u0000"``, ``"\\ud800"``) into every JSON field, dict key and list the serializers
pass on. DRF's CharField refuses them in its own values; this parser refuses them everywhere else, once,
before any view runs, naming the field: ``{"form": ["… (at form.note)"]}``.
"""

from __future__ import annotations

import re
from typing import Any

from django.utils.translation import gettext
from rest_framework import parsers
from rest_framework.exceptions import ValidationError
from rest_framework.settings import api_settings

_UNSTORABLE = re.compile("[\\x00\\ud800-\\udfff]")
_MAX_DEPTH = 64  # deeper documents are refused: nothing we accept nests past a few levels


def _first_unstorable(value: Any, path: list[str], depth: int = 0) -> list[str] | None:
    """The path to the first string (key or value) holding a NUL or a lone surrogate, or None."""
    if depth > _MAX_DEPTH:
        return path
    if isinstance(value, str):
        return path if _UNSTORABLE.search(value) else None
    if isinstance(value, dict):
        for key, item in value.items():
            if _UNSTORABLE.search(key):
                return [*path, _UNSTORABLE.sub("?", key)]
            found = _first_unstorable(item, [*path, key], depth + 1)
            if found is not None:
                return found
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found = _first_unstorable(item, [*path, str(index)], depth + 1)
            if found is not None:
                return found
    return None


def refuse_unstorable_text(data: Any) -> None:
    path = _first_unstorable(data, [])
    if path is None:
        return
    field = path[0] if path else api_settings.NON_FIELD_ERRORS_KEY
    message = gettext("Null characters and unpaired surrogates are not allowed.")
    if len(path) > 1:
        message = f"{message} ({'.'.join(path)})"
    raise ValidationError({field: [message]})


class JSONParser(parsers.JSONParser):
    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        data = super().parse(stream, media_type, parser_context)
        refuse_unstorable_text(data)
        return data
