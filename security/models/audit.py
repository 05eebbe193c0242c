from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AppendOnlyError(Exception):
    """Audit events are never changed or deleted."""


class AuditEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError("audit events are append-only")

    def delete(self):
        raise AppendOnlyError("audit events are append-only")


class AuditEvent(models.Model):
    """Append-only record of security-relevant events. Holds no personal data in clear: objects are
    referred to by type and id, and ``details`` carries field names, never values. On PostgreSQL a
    trigger (migration 0002) also refuses UPDATE and DELETE at the database."""

    class Action(models.TextChoices):
        LOGIN = "login", _("Login")
        LOGIN_FAILED = "login_failed", _("Failed login")
        LOGOUT = "logout", _("Logout")
        PII_REVEAL = "pii_reveal", _("Personal data revealed")
        CREATE = "create", _("Created")
        UPDATE = "update", _("Changed")
        DELETE = "delete", _("Deleted")
        BIND = "bind", _("Account bound")
        UNBIND = "unbind", _("Account unbound")
        BIND_FAILED = "bind_failed", _("Account binding refused")
        PRIVILEGE_CHANGE = "privilege_change", _("Roles, permissions or status changed")
        PRIVILEGE_REQUEST = "privilege_request", _("Privileged grant requested")
        PRIVILEGE_APPROVE = "privilege_approve", _("Privileged grant approved")
        PRIVILEGE_REJECT = "privilege_reject", _("Privileged grant rejected")

    class Outcome(models.TextChoices):
        SUCCESS = "success", _("Success")
        DENIED = "denied", _("Denied")
        FAILURE = "failure", _("Failure")

    occurred_at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField(max_length=150, blank=True, help_text=_("Username at the time of the event."))
    action = models.CharField(max_length=32, choices=Action.choices, db_index=True)
    object_type = models.CharField(max_length=100, blank=True)
    object_id = models.CharField(max_length=64, blank=True, db_index=True)
    outcome = models.CharField(max_length=16, choices=Outcome.choices, default=Outcome.SUCCESS)
    source_ip = models.GenericIPAddressField(null=True, blank=True)
    details = models.JSONField(default=dict, blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id"], name="audit_object_idx")]

    def __str__(self) -> str:
        # In the active (viewer's) time zone, named: the admin shows this in titles and breadcrumbs.
        when = timezone.localtime(self.occurred_at) if self.occurred_at else None
        stamp = f"{when:%Y-%m-%d %H:%M:%S} {timezone.get_current_timezone_name()}" if when else "-"
        return f"{stamp} {self.actor_label or '-'} {self.action} {self.object_type}:{self.object_id}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise AppendOnlyError("audit events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("audit events are append-only")
