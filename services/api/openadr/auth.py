"""Who is calling the VTN: OAuth 2 client credentials (django-oauth-toolkit), the scopes each role may
hold, the per-client throttle, and the scope check every OpenADR view makes.

Scopes are exactly the spec's (settings.OPENADR_SCOPES). A BL client may hold ``read_all`` and every
write scope but ``write_reports``; a VEN ``read_targets``, ``read_ven_objects``, ``write_reports``,
``write_subscriptions`` and ``write_vens`` — so a VEN can never be granted ``write_programs`` or
``write_events``. ``read_all`` satisfies every read requirement."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from oauth2_provider.contrib.rest_framework import OAuth2Authentication
from oauth2_provider.models import AccessToken
from oauth2_provider.oauth2_validators import OAuth2Validator
from oauth2_provider.scopes import BaseScopes
from rest_framework import exceptions
from rest_framework.permissions import BasePermission
from rest_framework.throttling import SimpleRateThrottle

from services.models import OadrClient

BL_SCOPES = ["read_all", "write_programs", "write_events", "write_subscriptions", "write_vens"]
VEN_SCOPES = ["read_targets", "read_ven_objects", "write_reports", "write_subscriptions", "write_vens"]
ROLE_SCOPES = {OadrClient.Role.BL: BL_SCOPES, OadrClient.Role.VEN: VEN_SCOPES}


def _profile(application) -> OadrClient | None:
    if application is None:
        return None
    try:
        return application.oadr_client
    except OadrClient.DoesNotExist:
        return None


class OpenADRScopes(BaseScopes):
    """The scopes a client may be granted follow its role; without a ``scope`` parameter it gets all."""

    def get_all_scopes(self):
        return settings.OPENADR_SCOPES

    def get_available_scopes(self, application=None, request=None, *args, **kwargs):
        profile = _profile(application)
        if profile is None or not profile.is_active:
            return []
        return ROLE_SCOPES[profile.role]

    def get_default_scopes(self, application=None, request=None, *args, **kwargs):
        return self.get_available_scopes(application=application, request=request)


class OpenADRValidator(OAuth2Validator):
    """Only staff-created OpenADR clients that are not revoked, and only the client-credentials grant."""

    def _load_application(self, client_id, request):
        application = super()._load_application(client_id, request)
        profile = _profile(application)
        if profile is None or not profile.is_active:
            request.client = None
            return None
        return application


@dataclass(frozen=True)
class Caller:
    client_id: str
    role: str
    scopes: frozenset[str]

    @property
    def is_bl(self) -> bool:
        return self.role == OadrClient.Role.BL

    @property
    def is_ven(self) -> bool:
        return self.role == OadrClient.Role.VEN


class OpenADRAuthentication(OAuth2Authentication):
    """A bearer token of an active OpenADR client; ``request.auth`` is the AccessToken."""

    def authenticate(self, request):
        result = super().authenticate(request)
        if result is None:
            return None
        _user, token = result
        profile = _profile(token.application)
        if profile is None or not profile.is_active:
            raise exceptions.AuthenticationFailed("The client's credentials were revoked.")
        return (None, token)


def caller_of(request) -> Caller:
    token = request.auth
    if not isinstance(token, AccessToken):
        raise exceptions.NotAuthenticated("A bearer token is required.")
    cached = getattr(request, "_oadr_caller", None)
    if cached is None:
        profile = token.application.oadr_client
        cached = Caller(client_id=token.application.client_id, role=profile.role, scopes=frozenset(token.scope.split()))
        request._oadr_caller = cached
    return cached


class HasOpenADRScope(BasePermission):
    """The view's ``required_scopes[method]`` must be among the token's scopes (``read_all`` covers
    every ``read_*``)."""

    message = "The token lacks the scope this operation requires."

    def has_permission(self, request, view) -> bool:
        caller = caller_of(request)
        required = view.required_scopes.get(request.method)
        if required is None:
            return False
        if required in caller.scopes or (required.startswith("read_") and "read_all" in caller.scopes):
            return True
        self.message = f"This operation requires the scope {required}."
        return False


class ClientRateThrottle(SimpleRateThrottle):
    """Requests per minute per OAuth client (per address before authentication)."""

    scope = "openadr"

    def get_rate(self) -> str:
        return f"{settings.OPENADR_THROTTLE_PER_MINUTE}/min"

    def get_cache_key(self, request, view) -> str:
        token = request.auth
        ident = token.application.client_id if isinstance(token, AccessToken) else self.get_ident(request)
        return self.cache_format % {"scope": self.scope, "ident": ident}
