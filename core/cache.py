"""Counters in the cache (rate limits, failed attempts) that survive a key expiring between calls."""

from __future__ import annotations

from django.core.cache import cache


def increment(key: str, *, timeout: int) -> int:
    """Add one to ``key`` (created at 1 with ``timeout`` if absent); never raises on a missing key."""
    if cache.add(key, 1, timeout=timeout):
        return 1
    try:
        return cache.incr(key)
    except ValueError:  # expired (or evicted) between add and incr
        cache.set(key, 1, timeout=timeout)
        return 1
