"""The embedded default's console e-mail backend, printing through the personal-data mask."""

from __future__ import annotations

import io

from django.core.mail.backends.console import EmailBackend

from core.logs import mask_personal_data


class MaskedConsoleEmailBackend(EmailBackend):
    """Django's console backend, but addresses, phone numbers, ID numbers and codes come out masked
    (stdout ends up in the same log collectors as the logs)."""

    def write_message(self, message) -> None:
        stream, self.stream = self.stream, io.StringIO()
        try:
            super().write_message(message)
            text = self.stream.getvalue()
        finally:
            self.stream = stream
        self.stream.write(mask_personal_data(text))
