"""The project's Celery application; workers run ``celery -A marketing_portal worker``."""

import os

from celery import Celery
from celery.signals import worker_init

from marketing_portal.startup import refuse_to_start_on_fatal_checks

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "marketing_portal.settings.local")

app = Celery("marketing_portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.task(name="marketing_portal.ping")
def ping(*, payload: str = "pong") -> dict:
    """Trivial round-trip task used by health checks and the worker integration test; the pid shows
    which process ran it."""
    return {"payload": payload, "pid": os.getpid()}


@worker_init.connect
def _refuse_to_start_on_fatal_checks(**kwargs) -> None:
    # A worker on a test payment gateway would post sandbox notifications as real payments.
    refuse_to_start_on_fatal_checks()
