from django.conf import settings
from django.db import connections, models, router, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from security.chain import GENESIS, link_hash

# PostgreSQL advisory lock serialising appends, so the chain's order is the rows' id order.
CHAIN_LOCK_ID = 0x5EC_A0D1


class AppendOnlyError(Exception):
    """Audit events are never changed or deleted."""


class AuditEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError("audit events are append-only")

    def delete(self):
        raise AppendOnlyError("audit events are append-only")

    def bulk_create(self, objs, *args, **kwargs):
        raise AppendOnlyError("audit events are appended one by one, each chained to the one before")

    def bulk_update(self, objs, *args, **kwargs):
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
        BILL_STATUS = "bill_status", _("Bill status changed")
        PAYMENT = "payment", _("Payment")
        LEDGER_POSTING = "ledger_posting", _("Ledger posting (payment, reversal, adjustment, credit)")
        AUDIT_ARCHIVED = "audit_archived", _("Audit events archived and pruned")
        OTP_ENROLLED = "otp_enrolled", _("Two-factor authentication set up")
        OTP_VERIFIED = "otp_verified", _("Second factor verified")
        OTP_FAILED = "otp_failed", _("Second factor refused")
        OTP_RESET = "otp_reset", _("Two-factor authentication reset")

    class Outcome(models.TextChoices):
        SUCCESS = "success", _("Success")
        DENIED = "denied", _("Denied")
        FAILURE = "failure", _("Failure")

    # The moment of recording, as auto_now_add gave before, but set on the instance so the chain's hash
    # covers the stored value. Stored as UTC (timestamptz); shown in the viewer's zone (security.admin).
    occurred_at = models.DateTimeField(default=timezone.now, db_index=True, verbose_name=_("occurred at"))  # noqa: TID251
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("actor"),
    )
    actor_label = models.CharField(
        max_length=150, blank=True, help_text=_("Username at the time of the event."), verbose_name=_("actor label")
    )
    action = models.CharField(max_length=32, choices=Action.choices, db_index=True, verbose_name=_("action"))
    object_type = models.CharField(max_length=100, blank=True, verbose_name=_("object type"))
    object_id = models.CharField(max_length=64, blank=True, db_index=True, verbose_name=_("object id"))
    outcome = models.CharField(
        max_length=16, choices=Outcome.choices, default=Outcome.SUCCESS, verbose_name=_("outcome")
    )
    source_ip = models.GenericIPAddressField(null=True, blank=True, verbose_name=_("source IP"))
    details = models.JSONField(default=dict, blank=True, verbose_name=_("details"))
    prev_hash = models.CharField(max_length=64, default=GENESIS, editable=False, verbose_name=_("previous hash"))
    row_hash = models.CharField(max_length=64, blank=True, editable=False, verbose_name=_("row hash"))

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
        using = kwargs.get("using") or router.db_for_write(type(self))
        with transaction.atomic(using=using):
            connection = connections[using]
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CHAIN_LOCK_ID])
            previous = type(self).objects.using(using).order_by("-id").values_list("row_hash", flat=True).first()
            if previous is None:
                previous = (
                    AuditArchive.objects.using(using).order_by("-last_id").values_list("last_hash", flat=True).first()
                )
            self.prev_hash = previous or GENESIS
            self.row_hash = link_hash(event=self)
            super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("audit events are append-only")


class AuditArchive(models.Model):
    """One export of audit events before they were pruned (security.services.audit_retention): the
    file, its SHA-256 and where the chain stood, so the first remaining event still verifies."""

    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    first_id = models.BigIntegerField(verbose_name=_("first ID"))
    last_id = models.BigIntegerField(unique=True, verbose_name=_("last ID"))
    last_hash = models.CharField(max_length=64, verbose_name=_("last hash"))
    rows = models.PositiveIntegerField(verbose_name=_("rows"))
    file_name = models.CharField(max_length=200, verbose_name=_("file name"))
    sha256 = models.CharField(max_length=64, verbose_name=_("SHA-256"))

    class Meta:
        ordering = ["-last_id"]
        verbose_name = _("audit archive")
        verbose_name_plural = _("audit archives")

    def __str__(self) -> str:
        return f"{self.file_name} ({self.first_id}–{self.last_id})"
