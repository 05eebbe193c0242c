"""Fixed-window counters for what a requester may ask (codes, proofs) per phone, user or client, whose
refusal says when to try again. The window holding ``now`` ends at a known moment, so the message can
name it; ``now`` comes from the interface (the domain never reads the clock)."""

from __future__ import annotations

import datetime as dt
import math

from django.core.cache import cache
from django.utils import timezone
from django.utils.translation import gettext as _

from core.cache import increment
from security.crypto import blind_index


class RateLimited(Exception):
    """Too many requests in the current window; ``message`` says when to try again (local time)."""

    def __init__(self, *, retry_at: dt.datetime, now: dt.datetime) -> None:
        minutes = max(1, math.ceil((retry_at - now).total_seconds() / 60))
        self.retry_at = retry_at
        self.message = _("Too many requests. Please try again in %(minutes)s minutes (after %(time)s).") % {
            "minutes": minutes,
            "time": timezone.localtime(retry_at).strftime("%H:%M"),
        }
        super().__init__(self.message)


def _window(*, window_seconds: int, now: dt.datetime) -> tuple[int, dt.datetime]:
    bucket = int(now.timestamp()) // window_seconds
    return bucket, dt.datetime.fromtimestamp((bucket + 1) * window_seconds, tz=dt.UTC)


def _key(*, name: str, subject: str, bucket: int) -> str:
    # A keyed digest: subjects are phone numbers and addresses, which must not sit in Redis keys.
    return f"limit:{name}:{blind_index(purpose='customers.attempt_limit', normalized_value=subject)}:{bucket}"


def count_against_limit(*, name: str, subject: str, limit: int, window_seconds: int, now: dt.datetime) -> None:
    """Count one request for ``subject``; ``RateLimited`` once past ``limit`` in this window (refused
    requests count too, but the window's end never moves)."""
    bucket, ends_at = _window(window_seconds=window_seconds, now=now)
    if increment(_key(name=name, subject=subject, bucket=bucket), timeout=window_seconds) > limit:
        raise RateLimited(retry_at=ends_at, now=now)


def refuse_if_reached(*, name: str, subject: str, limit: int, window_seconds: int, now: dt.datetime) -> None:
    """``RateLimited`` when ``subject`` already has ``limit`` counts in this window; counts nothing."""
    bucket, ends_at = _window(window_seconds=window_seconds, now=now)
    if (cache.get(_key(name=name, subject=subject, bucket=bucket)) or 0) >= limit:
        raise RateLimited(retry_at=ends_at, now=now)


def count(*, name: str, subject: str, window_seconds: int, now: dt.datetime) -> None:
    bucket, _ends_at = _window(window_seconds=window_seconds, now=now)
    increment(_key(name=name, subject=subject, bucket=bucket), timeout=window_seconds)


def forget(*, name: str, subject: str, window_seconds: int, now: dt.datetime) -> None:
    bucket, _ends_at = _window(window_seconds=window_seconds, now=now)
    cache.delete(_key(name=name, subject=subject, bucket=bucket))
