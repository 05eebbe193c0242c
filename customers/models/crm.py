from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Tag(models.Model):
    """A label or marketing segment on customers (e.g. 'VIP', 'elderly living alone', 'EV owner')."""

    name = models.CharField(_("name"), max_length=50, unique=True)
    description = models.CharField(_("description"), max_length=200, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("tag")
        verbose_name_plural = _("tags")

    def __str__(self) -> str:
        return self.name


class Interaction(models.Model):
    """One contact with a customer (CRM log): who, through which channel, about what."""

    class Channel(models.TextChoices):
        COUNTER = "counter", _("Service counter")
        HOTLINE = "hotline", _("95598 hotline")
        ONLINE = "online", _("Online business hall")
        SMS = "sms", _("SMS")
        FIELD = "field", _("Field visit")
        APP = "app", _("Mobile app / WeChat")

    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="interactions", verbose_name=_("customer")
    )
    account = models.ForeignKey(
        "customers.Account",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="interactions",
        verbose_name=_("account"),
    )
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    topic = models.CharField(_("topic"), max_length=200)
    notes = models.TextField(_("notes"), blank=True)
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("staff"),
    )
    occurred_at = models.DateTimeField(_("occurred at"), db_index=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        verbose_name = _("interaction")
        verbose_name_plural = _("interactions")

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%d} {self.get_channel_display()} {self.topic}"
