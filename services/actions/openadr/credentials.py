"""OpenADR client credentials, created by staff: a django-oauth-toolkit Application (confidential,
client credentials; its secret stored hashed) with our role. The raw secret is returned once, to be
shown once; rotation replaces it and revokes the tokens issued under the old one; revocation ends the
client (no new token, existing tokens deleted)."""

from __future__ import annotations

import datetime as dt
import secrets

from django.db import transaction
from oauth2_provider.models import AccessToken, Application, RefreshToken

from security.services.audit import record_event
from services.models import OadrClient


def _new_secret() -> str:
    return secrets.token_urlsafe(32)


@transaction.atomic
def create_client(
    *, role: str, name: str, user, now: dt.datetime, client_id: str | None = None, secret: str | None = None
) -> tuple[OadrClient, str]:
    """``client_id``/``secret`` are for the demo seed only (fixed demo credentials); staff get random ones."""
    raw = secret or _new_secret()
    extra = {"client_id": client_id} if client_id else {}
    application = Application.objects.create(
        **extra,
        name=f"OpenADR {role.upper()}: {name}"[:255],
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_CLIENT_CREDENTIALS,
        client_secret=raw,
        hash_client_secret=True,
        skip_authorization=True,
    )
    client = OadrClient.objects.create(
        application=application,
        role=role,
        name=name,
        created_by=user if getattr(user, "is_authenticated", False) else None,
        created_at=now,
    )
    record_event(action="openadr.client_created", actor=user, target=client, details={"role": role})
    return client, raw


def _drop_tokens(application: Application) -> None:
    RefreshToken.objects.filter(application=application).delete()
    AccessToken.objects.filter(application=application).delete()


@transaction.atomic
def rotate_secret(*, client: OadrClient, user, now: dt.datetime) -> str:
    raw = _new_secret()
    application = client.application
    application.client_secret = raw
    application.save()  # hashed on save
    _drop_tokens(application)
    client.rotated_at = now
    client.save(update_fields=["rotated_at"])
    record_event(action="openadr.client_rotated", actor=user, target=client)
    return raw


@transaction.atomic
def revoke_client(*, client: OadrClient, user, now: dt.datetime) -> OadrClient:
    _drop_tokens(client.application)
    if client.revoked_at is None:
        client.revoked_at = now
        client.save(update_fields=["revoked_at"])
    record_event(action="openadr.client_revoked", actor=user, target=client)
    return client
