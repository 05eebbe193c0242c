"""Sign in with a username (staff, integrators) or a mobile number (customers)."""

from __future__ import annotations

import re

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend

from security import crypto
from security.normalize import normalize_phone

MOBILE_PATTERN = re.compile(r"^1[3-9]\d{9}$")


def looks_like_mobile(value: str) -> bool:
    return bool(MOBILE_PATTERN.match(normalize_phone(value)))


def axes_username_from_credentials(credentials: dict | None) -> str:
    """What we record for an attempted login: usernames as typed, phone numbers only as blind index."""
    username = (credentials or {}).get("username") or ""
    if looks_like_mobile(username):
        return "phone:" + crypto.blind_index(purpose="login.phone", normalized_value=normalize_phone(username))
    return username[:150]


def axes_username(request, credentials) -> str:
    """AXES_USERNAME_CALLABLE: lock out per account without storing phone numbers in clear."""
    return axes_username_from_credentials(credentials)


class PhoneOrUsernameBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None or password is None:
            return None
        if not looks_like_mobile(username):
            return super().authenticate(request, username=username, password=password, **kwargs)
        user_model = get_user_model()
        user = user_model.objects.matching("phone", username).first()
        if user is None:
            user_model().set_password(password)  # same work as a real check: no timing oracle
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None
