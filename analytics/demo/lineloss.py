"""Line loss's part of seed_demo: the figures of the seeded year of curves."""

from __future__ import annotations

import datetime as dt

from analytics.services.lineloss import LineLossResult, compute_line_loss
from core.time import local_midnight


def seed_line_loss_demo(*, as_of: dt.date, **_ignored) -> LineLossResult:
    """``seed_demo`` hook (AnalyticsConfig.demo_seeder): line loss over the seeded year of curves, so the
    staff pages and the suspicion list have figures at once (about 3 s for the default demo)."""
    return compute_line_loss(start=as_of - dt.timedelta(days=365), end=as_of, as_of=local_midnight(as_of))
