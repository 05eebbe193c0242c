from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class PortalBinding(models.Model):
    """A business-hall user's link to an account they proved they hold (or were invited to)."""

    class Role(models.TextChoices):
        OWNER = "owner", _("Owner")
        MEMBER = "member", _("Member")

    class Method(models.TextChoices):
        ID_NUMBER = "id_number", _("ID number")
        SMS_CODE = "sms_code", _("SMS code")
        STAFF = "staff", _("Set up by staff")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="bindings", verbose_name=_("user")
    )
    account = models.ForeignKey(
        "customers.Account", on_delete=models.CASCADE, related_name="bindings", verbose_name=_("account")
    )
    role = models.CharField(_("role"), max_length=8, choices=Role.choices, default=Role.OWNER)
    method = models.CharField(_("proved by"), max_length=16, choices=Method.choices)
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("account binding")
        verbose_name_plural = _("account bindings")
        constraints = [models.UniqueConstraint(fields=["user", "account"], name="binding_unique_user_account")]

    def __str__(self) -> str:
        return f"{self.user} → {self.account}"


class NotificationPreference(models.Model):
    """Whether a user wants a kind of notice through a channel; absent rows mean the default (on)."""

    class Kind(models.TextChoices):
        BILL = "bill", _("Bills and payment reminders")
        OUTAGE = "outage", _("Outage notices")
        SERVICE_REQUEST = "service_request", _("Service request progress")
        DEMAND_RESPONSE = "demand_response", _("Demand-response events")
        MARKETING = "marketing", _("Offers and energy-saving tips")

    class Channel(models.TextChoices):
        INBOX = "inbox", _("In-app inbox")
        SMS = "sms", _("SMS")
        EMAIL = "email", _("E-mail")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notification_preferences",
        verbose_name=_("user"),
    )
    kind = models.CharField(_("kind"), max_length=24, choices=Kind.choices)
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices)
    enabled = models.BooleanField(_("enabled"), default=True)

    class Meta:
        ordering = ["kind", "channel"]
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")
        constraints = [
            models.UniqueConstraint(fields=["user", "kind", "channel"], name="notification_pref_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user}: {self.kind}/{self.channel}={'on' if self.enabled else 'off'}"


class PrivacyConsent(models.Model):
    """A user's consent to one version of the privacy notice (个人信息保护法 arts. 14 and 17): which
    text they were shown and when they ticked the box. Kept with the user; a new version of the notice
    is a new row, never an edit of an old one."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="privacy_consents", verbose_name=_("user")
    )
    notice_version = models.CharField(_("privacy notice version"), max_length=32)
    accepted_at = models.DateTimeField(_("accepted at"))

    class Meta:
        ordering = ["user", "-accepted_at"]
        verbose_name = _("privacy consent")
        verbose_name_plural = _("privacy consents")
        constraints = [
            models.UniqueConstraint(fields=["user", "notice_version"], name="privacy_consent_unique_user_version")
        ]

    def __str__(self) -> str:
        return f"{self.user}: {self.notice_version}"
