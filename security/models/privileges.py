from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _


class PrivilegeRequest(models.Model):
    """A privileged grant (superuser, or a system/security role, or a security/auth permission) asked for
    by one administrator and applied only when a second, different security administrator approves."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for approval")
        APPROVED = "approved", _("Approved and applied")
        REJECTED = "rejected", _("Rejected")
        EXPIRED = "expired", _("Expired")

    target = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="privilege_requests", verbose_name=_("user")
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("requested by")
    )
    requested_at = models.DateTimeField(_("requested at"))
    grant_superuser = models.BooleanField(_("superuser"), default=False)
    groups = models.ManyToManyField("auth.Group", blank=True, related_name="+", verbose_name=_("roles"))
    permissions = models.ManyToManyField("auth.Permission", blank=True, related_name="+", verbose_name=_("permissions"))
    reason = models.TextField(_("reason"))
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_note = models.TextField(_("decision note"), blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        verbose_name = _("privilege request")
        verbose_name_plural = _("privilege requests")
        permissions = [("approve_privilegerequest", _("Can approve or reject privilege requests"))]
        constraints = [
            # Four eyes, stated in the database too: nobody decides their own request or a grant to themself.
            models.CheckConstraint(
                condition=Q(decided_by__isnull=True) | (~Q(decided_by=F("requested_by")) & ~Q(decided_by=F("target"))),
                name="privilege_request_second_person_decides",
            ),
            models.CheckConstraint(condition=~Q(requested_by=F("target")), name="privilege_request_not_for_self"),
        ]

    def __str__(self) -> str:
        return f"privilege request {self.pk} for user {self.target_id} ({self.status})"
