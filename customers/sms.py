"""Pluggable SMS backends (console in the embedded default, locmem in tests, a gateway in production)."""

from __future__ import annotations

import logging
import sys
from dataclasses import dataclass

from django.conf import settings
from django.utils.module_loading import import_string

from core.logs import mask_personal_data

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SmsMessage:
    to: str
    body: str


class ConsoleSmsBackend:
    """Prints messages to stdout masked (core.logs): the number as 138****5678 and one-time codes as
    ******, since stdout ends up in the same collectors as the logs."""

    def send(self, *, message: SmsMessage) -> None:
        sys.stdout.write(mask_personal_data(f"[SMS to {message.to}] {message.body}") + "\n")
        sys.stdout.flush()


class LocmemSmsBackend:
    """Keeps sent messages in memory for tests (``LocmemSmsBackend.outbox``)."""

    outbox: list[SmsMessage] = []

    def send(self, *, message: SmsMessage) -> None:
        type(self).outbox.append(message)


def send_sms(*, to: str, body: str) -> None:
    import_string(settings.SMS_BACKEND)().send(message=SmsMessage(to=to, body=body))
