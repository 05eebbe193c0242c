from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class OutageNoticeQuerySet(models.QuerySet):
    def current_or_upcoming(self, *, as_of):
        """Published, not restored, and not already past its expected end."""
        return self.filter(status=OutageNotice.Status.PUBLISHED, expected_end__gt=as_of)


class OutageNotice(models.Model):
    """A planned or unplanned outage (停电通知) affecting feeders and/or transformer areas."""

    class Kind(models.TextChoices):
        PLANNED = "planned", _("Planned")
        UNPLANNED = "unplanned", _("Unplanned")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")
        RESTORED = "restored", _("Power restored")
        CANCELLED = "cancelled", _("Cancelled")

    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    title = models.CharField(_("title"), max_length=200)
    reason = models.TextField(_("reason"))
    starts_at = models.DateTimeField(_("starts at"))
    expected_end = models.DateTimeField(_("expected end"))
    restored_at = models.DateTimeField(_("restored at"), null=True, blank=True)
    feeders = models.ManyToManyField(
        "customers.Feeder", blank=True, related_name="outage_notices", verbose_name=_("feeders")
    )
    areas = models.ManyToManyField(
        "customers.TransformerArea", blank=True, related_name="outage_notices", verbose_name=_("transformer areas")
    )
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.DRAFT, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)

    objects = OutageNoticeQuerySet.as_manager()

    class Meta:
        ordering = ["-starts_at", "-id"]
        verbose_name = _("outage notice")
        verbose_name_plural = _("outage notices")
        constraints = [
            models.CheckConstraint(condition=Q(expected_end__gt=models.F("starts_at")), name="outage_ends_after_start")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.starts_at:%Y-%m-%d %H:%M} {self.title}"
