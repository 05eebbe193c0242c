"""Counters in the cache (rate limits, failed attempts) that survive a key expiring between calls, and
versioned read caches invalidated by the writes to their source rows."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable, Iterable
from typing import TypeVar, cast

from django.core.cache import cache
from django.db import transaction

T = TypeVar("T")


def increment(key: str, *, timeout: int) -> int:
    """Add one to ``key`` (created at 1 with ``timeout`` if absent); never raises on a missing key."""
    if cache.add(key, 1, timeout=timeout):
        return 1
    try:
        return cache.incr(key)
    except ValueError:  # expired (or evicted) between add and incr
        cache.set(key, 1, timeout=timeout)
        return 1


# --- versioned read caches ----------------------------------------------------------------------
# Data that changes rarely (a meter's readings change when a batch lands, about once a day) is cached
# under a key that embeds a version per source row. A write bumps the versions of the rows it changed
# (after its transaction commits), so the next read misses and recomputes; stale entries are never
# read again and expire on their own. A missing version (new row, evicted key, flushed Redis) gets a
# fresh random one, so a lost version can never bring an old entry back.

VERSIONED_TIMEOUT = 24 * 3600


def _version_key(namespace: str, source_id: object) -> str:
    return f"v:{namespace}:{source_id}"


def source_versions(namespace: str, source_ids: Iterable[object]) -> list[str]:
    """The current version of each source row (one cache round trip, two when some are new)."""
    keys = [_version_key(namespace, source_id) for source_id in source_ids]
    found = cache.get_many(keys)
    missing = {key: secrets.token_hex(8) for key in keys if key not in found}
    if missing:
        for key, value in missing.items():
            cache.add(key, value, timeout=None)
        found.update(cache.get_many(list(missing)))
    return [str(found.get(key, missing.get(key))) for key in keys]


def bump_source_versions(namespace: str, source_ids: Iterable[object]) -> None:
    """Invalidate every cached read of these source rows: a new version now, and another when the
    current transaction commits, so a reader that cached pre-commit data meanwhile is not served."""
    keys = [_version_key(namespace, source_id) for source_id in set(source_ids)]
    if keys:

        def bump() -> None:
            cache.set_many({key: secrets.token_hex(8) for key in keys}, timeout=None)

        bump()
        transaction.on_commit(bump)


def versioned(
    namespace: str,
    source_ids: Iterable[int],
    key: str,
    compute: Callable[[], T],
    *,
    timeout: int = VERSIONED_TIMEOUT,
) -> T:
    """``compute()`` cached under ``key`` and the versions of ``source_ids``; recomputed after a bump."""
    ids = sorted(set(source_ids))
    digest = hashlib.sha256("|".join([key, *map(str, ids), *source_versions(namespace, ids)]).encode()).hexdigest()
    full_key = f"c:{namespace}:{digest[:32]}"
    value = cache.get(full_key, _MISSING)
    if value is _MISSING:
        value = compute()
        cache.set(full_key, value, timeout=timeout)
    return cast(T, value)


_MISSING = object()
