"""Per-IP caps on the business hall's POSTs, on top of the services' own per-user/per-account limits and
django-axes' lockout: generous enough for a household behind one carrier NAT, tight enough to stop
scripted guessing."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django_ratelimit.decorators import ratelimit

BIND_RATE = "20/h"
REGISTER_RATE = "10/h"
LOGIN_RATE = "60/h"


def limit_posts(*, group: str, rate: str) -> Callable:
    """Count POSTs per client IP (django-ratelimit); over the limit, answer 429 with a readable page."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def guarded(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if getattr(request, "limited", False):
                return render(request, "customers/rate_limited.html", status=429)
            return view(request, *args, **kwargs)

        return ratelimit(group=group, key="ip", rate=rate, method="POST", block=False)(guarded)

    return decorator
