"""The other apps' parts of ``seed_demo``, found by dotted path (``AppConfig.demo_seeder``) so that
customers never imports the apps above it."""

from __future__ import annotations

import datetime as dt
import time

from django.apps import apps
from django.utils.module_loading import import_string


def run_app_demo_seeders(
    *, seed: int, as_of: dt.date, customers: int, curves: int | None = None, progress: bool = False
) -> list[str]:
    """Let the apps above this one add their demo data, in INSTALLED_APPS order: an AppConfig may
    name a seeder function in ``demo_seeder`` (a dotted path, so customers never imports them). It
    is called with these keyword arguments after the customers, accounts and grid exist; what it
    returns is printed."""
    summaries = []
    for config in apps.get_app_configs():
        path = getattr(config, "demo_seeder", None)
        if path:
            seeder = import_string(path)
            started = time.perf_counter()
            result = seeder(seed=seed, as_of=as_of, customers=customers, curves=curves, progress=progress)
            summaries.append(f"{result} [{config.label}: {time.perf_counter() - started:.1f} s]")
    return summaries
