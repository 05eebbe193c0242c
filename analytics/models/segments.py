"""Customer segmentation: typical daily load shapes found by k-means (analytics/services/segments.py).

A run clusters the normalised average daily profiles of one kind of day (working days or weekend and
holiday days of the mainland calendar) over a window; each cluster is a ``Segment`` named by its
shape, and each clustered account gets an ``AccountSegment`` with its distance to the centroid.
Runs are kept: the "current" run of a day type is its latest finished one.
"""

from __future__ import annotations

import datetime as dt

from django.db import models
from django.utils.translation import gettext_lazy as _


class DayType(models.TextChoices):
    WEEKDAY = "weekday", _("Working days")
    WEEKEND = "weekend", _("Weekends and holidays")


class Shape(models.TextChoices):
    """Shape families, decided by the rules in ``analytics.services.segments.shape_of``."""

    FLAT = "flat", _("Flat / three-shift")
    NIGHT = "night", _("Night")
    DOUBLE_PEAK = "double_peak", _("Morning + evening double peak")
    EVENING_PEAK = "evening_peak", _("Evening peak")
    DAYTIME = "daytime", _("Daytime")
    MORNING_PEAK = "morning_peak", _("Morning peak")
    MIXED = "mixed", _("Mixed")


class SegmentationRunQuerySet(models.QuerySet):
    def finished(self):
        return self.filter(status=SegmentationRun.Status.FINISHED)

    def current(self, *, day_type: str) -> SegmentationRun | None:
        """The latest finished run of a day type: what pages, the admin and the API show."""
        return self.finished().filter(day_type=day_type).order_by("-as_of", "-pk").first()


class SegmentationRun(models.Model):
    class Status(models.TextChoices):
        RUNNING = "running", _("Running")
        FINISHED = "finished", _("Finished")
        FAILED = "failed", _("Failed")

    window_start = models.DateField(_("window start"))
    window_end = models.DateField(_("window end"), help_text=_("Exclusive."))
    day_type = models.CharField(_("day type"), max_length=8, choices=DayType.choices)
    slots = models.PositiveSmallIntegerField(_("slots per day"), default=24)
    k = models.PositiveSmallIntegerField(_("clusters (k)"), null=True, blank=True)
    k_fixed = models.BooleanField(_("k given by the caller"), default=False)
    criterion = models.TextField(_("k criterion"), blank=True)
    scores = models.JSONField(_("scores per k"), default=dict, blank=True)
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    accounts_clustered = models.PositiveIntegerField(_("accounts clustered"), default=0)
    accounts_skipped = models.PositiveIntegerField(_("accounts skipped"), default=0)
    skipped_reasons = models.JSONField(_("skipped, by reason"), default=dict, blank=True)
    message = models.TextField(_("message"), blank=True)
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.RUNNING)
    as_of = models.DateTimeField(_("as of"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = SegmentationRunQuerySet.as_manager()

    class Meta:
        ordering = ["-as_of", "-pk"]
        verbose_name = _("segmentation run")
        verbose_name_plural = _("segmentation runs")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(window_end__gt=models.F("window_start")), name="segrun_window_not_empty"
            ),
            models.CheckConstraint(condition=models.Q(day_type__in=["weekday", "weekend"]), name="segrun_day_type"),
            models.CheckConstraint(
                condition=~models.Q(status="finished") | models.Q(k__isnull=False), name="segrun_finished_has_k"
            ),
        ]
        indexes = [models.Index(fields=["day_type", "status", "-as_of"], name="segrun_current_idx")]

    def __str__(self) -> str:
        return f"{self.get_day_type_display()} {self.window_start}–{self.window_end} (k={self.k})"

    @property
    def window_last_day(self) -> dt.date:
        """The window's last day (``window_end`` is exclusive): what pages show."""
        return self.window_end - dt.timedelta(days=1)


class Segment(models.Model):
    run = models.ForeignKey(SegmentationRun, on_delete=models.CASCADE, related_name="segments", verbose_name=_("run"))
    number = models.PositiveSmallIntegerField(_("number"))
    shape = models.CharField(_("shape"), max_length=16, choices=Shape.choices)
    label = models.CharField(_("label"), max_length=100)
    peak_hour = models.PositiveSmallIntegerField(_("peak hour"))
    centroid = models.JSONField(_("centroid"), help_text=_("Mean-normalised kWh per slot of the day (mean 1)."))
    size = models.PositiveIntegerField(_("accounts"))

    class Meta:
        ordering = ["run", "number"]
        verbose_name = _("segment")
        verbose_name_plural = _("segments")
        constraints = [models.UniqueConstraint(fields=["run", "number"], name="segment_unique_run_number")]

    def __str__(self) -> str:
        return f"{self.run.get_day_type_display()} · {self.label}"


class AccountSegment(models.Model):
    run = models.ForeignKey(SegmentationRun, on_delete=models.CASCADE, related_name="+", verbose_name=_("run"))
    account = models.ForeignKey(
        "customers.Account", on_delete=models.CASCADE, related_name="+", verbose_name=_("account")
    )
    segment = models.ForeignKey(Segment, on_delete=models.CASCADE, related_name="members", verbose_name=_("segment"))
    distance = models.FloatField(_("distance to centroid"))
    profile = models.JSONField(_("normalised profile"), help_text=_("The account's own shape, as clustered."))

    class Meta:
        ordering = ["segment", "distance"]
        verbose_name = _("account segment")
        verbose_name_plural = _("account segments")
        constraints = [models.UniqueConstraint(fields=["run", "account"], name="accountsegment_unique_run_account")]
        indexes = [models.Index(fields=["account", "run"], name="accountsegment_account_idx")]

    def __str__(self) -> str:
        return f"{self.account_id} → {self.segment_id}"
