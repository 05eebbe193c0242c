"""Per-IP caps on the business hall's POSTs, on top of the services' own per-user/per-account/per-phone
limits and django-axes' lockout: generous enough for a household behind one carrier NAT, tight enough to
stop scripted guessing."""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import wraps

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django_ratelimit.core import get_usage

BIND_RATE = "20/h"
# Registration and password reset: both steps (ask for a code, enter it) count, per client address.
REGISTER_RATE = "10/h"
RESET_RATE = "10/h"
LOGIN_RATE = "60/h"


def limit_posts(*, group: str, rate: str) -> Callable:
    """Count POSTs per client IP (django-ratelimit, keyed through core.web.client.client_ip); over the
    limit, answer 429 with a page saying in how many minutes the window ends."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def guarded(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            usage = get_usage(request, group=group, key="ip", rate=rate, method="POST", increment=True)
            if usage is not None and usage["should_limit"]:
                minutes = max(1, math.ceil(usage["time_left"] / 60))
                return render(request, "customers/rate_limited.html", {"retry_minutes": minutes}, status=429)
            return view(request, *args, **kwargs)

        return guarded

    return decorator
