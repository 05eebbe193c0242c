"""The client's address, the one function every rate limit, lockout and audit record keys on.

Behind reverse proxies ``REMOTE_ADDR`` is the nearest proxy, so every customer would share one
bucket; but ``X-Forwarded-For`` is whatever the client typed, except for the entries our own proxies
appended. ``TRUSTED_PROXY_COUNT`` says how many proxies stand in front of the app (0: none, the app
is reached directly and the header is ignored). With N proxies, each appending the address it was
connected from, the client is the N-th entry from the right; anything to its left was sent by the
client and is never believed. A header with fewer entries than that, or an entry that is not an IP
address, means the request did not come through the proxies as configured: ``REMOTE_ADDR`` then.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def _ip_or_none(value: str) -> str | None:
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return None


def client_ip(request: HttpRequest | None) -> str | None:
    """The client's IP address, through at most ``TRUSTED_PROXY_COUNT`` trusted proxy hops."""
    if request is None:
        return None
    remote = _ip_or_none(request.META.get("REMOTE_ADDR") or "")
    hops = settings.TRUSTED_PROXY_COUNT
    if hops <= 0:
        return remote
    forwarded = [part for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    if len(forwarded) < hops:
        return remote
    return _ip_or_none(forwarded[-hops]) or remote


def ratelimit_ip(request: HttpRequest) -> str:
    """django-ratelimit's ``RATELIMIT_IP_META_KEY``: it needs a string."""
    return client_ip(request) or "0.0.0.0"  # noqa: S104  (no address known: one shared bucket, not a bind)
