"""The only place the wall clock is read. Interfaces (views, API views, admin actions, tasks, commands)
call these and pass ``now`` / ``as_of`` / ``today`` on; services and selectors never read the clock,
so every domain function can be run for any moment (tests, re-runs, backfills). ruff's banned-api
rule (pyproject.toml) refuses ``timezone.now()`` and friends anywhere else, and import-linter refuses
``core.clock`` in services/ and selectors/."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from core.time import local_date


def now() -> dt.datetime:
    return timezone.now()


def today() -> dt.date:
    """Today in Asia/Shanghai."""
    return local_date(now())
