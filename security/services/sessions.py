"""Session lifetimes and ending sessions.

* Staff: idle timeout STAFF_SESSION_IDLE_SECONDS (30 min) and absolute lifetime
  STAFF_SESSION_ABSOLUTE_SECONDS (12 h); customers: idle timeout CUSTOMER_SESSION_IDLE_SECONDS.
  Enforced on every request by ``security.middleware.SessionLifetimeMiddleware``.
* Login rotates the session key (Django's ``login`` cycles it) and stamps its start.
* A change of a user's roles, permissions or flags, and "sign out everywhere", bump the user's
  ``session_epoch``: it is part of the session auth hash, so every session they hold ends at its
  next request and they sign in again (a fresh session with the new privileges).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import logout
from django.db.models import F
from django.http import HttpRequest

from security.models import AuditEvent, User
from security.services.audit import record_event

STARTED_KEY = "_session_started_at"
SEEN_KEY = "_session_seen_at"
# Touch the session at most once a minute for the idle clock (a write per request would be wasteful).
TOUCH_EVERY_SECONDS = 60


def end_all_sessions(*, user_ids, instances=()) -> None:
    """Bump the users' session epoch; ``instances`` in hand get the new value too, so a login made with
    that very object afterwards (e.g. just after creating a staff user and giving them a role) holds."""
    ids = list(user_ids)
    User.objects.filter(pk__in=ids).update(session_epoch=F("session_epoch") + 1)
    epochs = dict(User.objects.filter(pk__in=[i.pk for i in instances]).values_list("pk", "session_epoch"))
    for instance in instances:
        instance.session_epoch = epochs.get(instance.pk, instance.session_epoch)


def sign_out_everywhere(*, request: HttpRequest) -> None:
    """End every session of the signed-in user, this one included, and audit it."""
    user = request.user
    assert isinstance(user, User)  # the view requires a signed-in user
    end_all_sessions(user_ids=[user.pk])
    record_event(
        action=AuditEvent.Action.LOGOUT, actor=user, target=user, request=request, details={"everywhere": True}
    )
    logout(request)


def session_expired(*, user, session, now: float) -> str | None:
    """Why this session has ended ("idle" or "absolute"), or None; stamps it when it is still alive."""
    started = session.get(STARTED_KEY)
    seen = session.get(SEEN_KEY)
    if started is None:
        session[STARTED_KEY] = session[SEEN_KEY] = now
        return None
    if user.is_staff:
        idle, absolute = settings.STAFF_SESSION_IDLE_SECONDS, settings.STAFF_SESSION_ABSOLUTE_SECONDS
    else:
        idle, absolute = settings.CUSTOMER_SESSION_IDLE_SECONDS, None
    if absolute is not None and now - started > absolute:
        return "absolute"
    if seen is not None and now - seen > idle:
        return "idle"
    if seen is None or now - seen >= TOUCH_EVERY_SECONDS:
        session[SEEN_KEY] = now
    return None
