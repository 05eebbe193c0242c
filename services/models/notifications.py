"""Notifications: one per user and event (the in-app inbox entry), delivered through the channels the
user's preferences allow. The unique (user, event_key) makes "the same event never notifies the
same user twice" a database rule."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from customers.models import NotificationPreference


class Notification(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications", verbose_name=_("user")
    )
    kind = models.CharField(_("kind"), max_length=24, choices=NotificationPreference.Kind.choices, db_index=True)
    event_key = models.CharField(_("event"), max_length=120, help_text=_("What happened, e.g. outage:12:published."))
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"))
    link = models.CharField(_("link"), max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True, verbose_name=_("created at"))
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        constraints = [models.UniqueConstraint(fields=["user", "event_key"], name="notification_once_per_user_event")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.event_key}"


class NotificationDelivery(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        SKIPPED = "skipped", _("Skipped (no address)")

    notification = models.ForeignKey(
        Notification, on_delete=models.CASCADE, related_name="deliveries", verbose_name=_("notification")
    )
    channel = models.CharField(_("channel"), max_length=8, choices=NotificationPreference.Channel.choices)
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.PENDING, db_index=True)
    attempts = models.PositiveSmallIntegerField(default=0, verbose_name=_("attempts"))
    last_error = models.CharField(max_length=300, blank=True, verbose_name=_("last error"))
    sent_at = models.DateTimeField(null=True, blank=True, verbose_name=_("sent at"))

    class Meta:
        ordering = ["notification", "channel"]
        constraints = [models.UniqueConstraint(fields=["notification", "channel"], name="delivery_once_per_channel")]

    def __str__(self) -> str:
        return f"{self.notification_id}/{self.channel}: {self.status}"


class LowBalanceWatch(models.Model):
    """Whether a prepaid account's credit was below the customer's alert level when last looked at, and
    how often it has fallen below: the alert goes out once per fall (the count is in its event key),
    not on every day the credit stays low, and again only after a top-up lifted it back up."""

    account = models.OneToOneField(
        "customers.Account", on_delete=models.CASCADE, related_name="low_balance_watch", verbose_name=_("account")
    )
    is_low = models.BooleanField(_("below the alert level"), default=False)
    crossings = models.PositiveIntegerField(_("times fallen below"), default=0)
    changed_at = models.DateTimeField(_("changed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("low-balance watch")
        verbose_name_plural = _("low-balance watches")

    def __str__(self) -> str:
        return f"{self.account_id}: {'low' if self.is_low else 'ok'} ({self.crossings})"
