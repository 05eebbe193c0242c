from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class CalendarDay(models.Model):
    """A staff-maintained day of the mainland working calendar: a statutory holiday or an adjusted
    working day (调休) that the calendar package does not know yet (or knows wrongly). It wins over the
    package; see core.calendar."""

    day = models.DateField(_("day"), unique=True)
    is_working = models.BooleanField(
        _("working day"), help_text=_("Ticked: a working day (e.g. a Saturday worked in lieu). Unticked: a holiday.")
    )
    name = models.CharField(_("name"), max_length=60, help_text=_("e.g. 元旦, 春节, 国庆节调休"))
    note = models.CharField(
        _("source"), max_length=200, blank=True, help_text=_("e.g. 国务院办公厅通知 国办发明电〔2026〕X号")
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("updated by"),
    )
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))

    class Meta:
        ordering = ["day"]
        verbose_name = _("calendar day")
        verbose_name_plural = _("calendar days (holidays and adjusted working days)")

    def __str__(self) -> str:
        return f"{self.day:%Y-%m-%d} {self.name} ({'working' if self.is_working else 'holiday'})"


class IdempotencyRecord(models.Model):
    """One ``Idempotency-Key`` of one API user: the request it was first used with (a hash) and, once
    done, what a replay needs — status, resource reference, body hash and the body sealed under the
    field-encryption keys (core.idempotency). Deleted after IDEMPOTENCY_TTL_HOURS."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("user")
    )
    key = models.CharField(max_length=100, verbose_name=_("key"))
    request_hash = models.CharField(max_length=64, verbose_name=_("request hash"))
    completed = models.BooleanField(default=False, verbose_name=_("completed"))
    response_status = models.PositiveSmallIntegerField(null=True, verbose_name=_("response status"))
    resource_ref = models.CharField(max_length=200, blank=True, default="", verbose_name=_("resource reference"))
    response_hash = models.CharField(max_length=64, blank=True, default="", verbose_name=_("response hash"))
    response_sealed = models.TextField(null=True, blank=True, verbose_name=_("response sealed"))
    created_at = models.DateTimeField(auto_now_add=True, db_index=True, verbose_name=_("created at"))

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="core_idempotency_unique_user_key")]

    def __str__(self) -> str:
        return f"{self.user_id}:{self.key}"
