"""Makes the signed-in user the actor of every audited write made while serving the request."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from core.web.client import client_ip
from security.context import Actor, acting_as


class AuditActorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        # The user is lazy: resolving it here would cost a session read on every static hit, so the
        # actor holds the lazy object and signals resolve it only when they audit something.
        with acting_as(Actor(user=user, source_ip=client_ip(request))):
            return self.get_response(request)
