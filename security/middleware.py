"""Makes the signed-in user the actor of every audited write made while serving the request."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils.functional import SimpleLazyObject

from core.web.client import client_ip
from security.context import Actor, acting_as


class AuditActorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # The user is lazy: resolving it here would cost a session read on every static hit, so the
        # actor holds a lazy object, resolved only when something is audited — by then DRF has put the
        # API caller (token or session) on the request, so API writes are attributed too.
        user = SimpleLazyObject(lambda: getattr(request, "user", None))
        with acting_as(Actor(user=user, source_ip=client_ip(request))):
            return self.get_response(request)
