"""Login, logout and failed-login events go to the audit log."""

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from security.models import AuditEvent
from security.services.audit import record_event


@receiver(user_logged_in)
def _audit_login(sender, request, user, **kwargs) -> None:
    record_event(action=AuditEvent.Action.LOGIN, actor=user, target=user, request=request)


@receiver(user_logged_out)
def _audit_logout(sender, request, user, **kwargs) -> None:
    if user is not None:
        record_event(action=AuditEvent.Action.LOGOUT, actor=user, target=user, request=request)


@receiver(user_login_failed)
def _audit_login_failed(sender, credentials, request=None, **kwargs) -> None:
    # Django already masks the password; the username may be a phone number, so store only a hash.
    from security.backends import axes_username_from_credentials

    record_event(
        action=AuditEvent.Action.LOGIN_FAILED,
        outcome=AuditEvent.Outcome.FAILURE,
        request=request,
        details={"attempted": axes_username_from_credentials(credentials)},
    )
