"""What the web and worker processes check before serving: gunicorn and celery run no system checks
of their own, so a production configuration that must never serve (a test payment gateway) would
otherwise start silently."""

from __future__ import annotations

from django.core import checks
from django.core.management.base import SystemCheckError

# Tags whose errors stop a process from starting at all (not only ``manage.py check``).
FATAL_TAGS = ["payments"]


def refuse_to_start_on_fatal_checks() -> None:
    errors = [message for message in checks.run_checks(tags=FATAL_TAGS) if message.is_serious()]
    if errors:
        raise SystemCheckError("refusing to start:\n" + "\n".join(str(error) for error in errors))
