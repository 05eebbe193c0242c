"""Embedded default for a quick start: SQLite, eager Celery, local-memory cache, console e-mail/SMS."""

from .base import *  # noqa: F403
from .base import env

DEBUG = env.bool("DJANGO_DEBUG", default=True)
