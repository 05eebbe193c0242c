from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class IngestBatch(models.Model):
    """One file or JSON payload of meter data, processed in deterministic chunks."""

    class Source(models.TextChoices):
        COMMAND = "command", _("Command line")
        API = "api", _("API")
        ADMIN = "admin", _("Admin upload")

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        PROCESSING = "processing", _("Processing")
        COMPLETED = "completed", _("Completed")
        FAILED = "failed", _("Failed")

    source = models.CharField(_("source"), max_length=16, choices=Source.choices)
    filename = models.CharField(_("file name"), max_length=255, blank=True)
    stored_path = models.CharField(_("stored file"), max_length=500, help_text=_("Relative to private storage."))
    content_sha256 = models.CharField(_("content SHA-256"), max_length=64, db_index=True)
    size_bytes = models.BigIntegerField(_("size (bytes)"), default=0)
    layout = models.CharField(_("layout"), max_length=32, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PENDING, db_index=True)
    error = models.TextField(_("error"), blank=True)
    # Deliveries that started processing; past INGEST_MAX_ATTEMPTS the batch fails instead of looping.
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    as_of = models.DateTimeField(_("as of"), help_text=_("Readings after this moment are rejected as future."))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True, verbose_name=_("created at"))
    started_at = models.DateTimeField(null=True, blank=True, verbose_name=_("started at"))
    finished_at = models.DateTimeField(null=True, blank=True, verbose_name=_("finished at"))
    # Totals: the sum over committed chunks (IngestChunk) plus estimation, written when the batch completes.
    received = models.BigIntegerField(_("received"), default=0)
    inserted = models.BigIntegerField(_("inserted"), default=0)
    updated = models.BigIntegerField(_("updated"), default=0)
    unchanged = models.BigIntegerField(_("unchanged"), default=0)
    duplicates = models.BigIntegerField(_("duplicates in file"), default=0)
    rejected = models.BigIntegerField(_("rejected"), default=0)
    estimated = models.BigIntegerField(_("estimated"), default=0)
    # Set in the same transaction as the estimates, so a retried batch never estimates twice.
    estimation_done = models.BooleanField(default=False, verbose_name=_("estimation done"))

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("ingest batch")
        verbose_name_plural = _("ingest batches")

    def __str__(self) -> str:
        return f"#{self.pk} {self.filename or self.source} ({self.get_status_display()})"

    @property
    def duration_seconds(self) -> float | None:
        if self.started_at and self.finished_at:
            return (self.finished_at - self.started_at).total_seconds()
        return None


class IngestChunk(models.Model):
    """A committed chunk of a batch. Written in the same transaction as the chunk's readings, so a
    crash leaves either the whole chunk (counted) or nothing of it; a retry skips committed chunks."""

    batch = models.ForeignKey(IngestBatch, on_delete=models.CASCADE, related_name="chunks", verbose_name=_("batch"))
    index = models.PositiveIntegerField(verbose_name=_("index"))
    received = models.PositiveIntegerField(default=0, verbose_name=_("received"))
    inserted = models.PositiveIntegerField(default=0, verbose_name=_("inserted"))
    updated = models.PositiveIntegerField(default=0, verbose_name=_("updated"))
    unchanged = models.PositiveIntegerField(default=0, verbose_name=_("unchanged"))
    duplicates = models.PositiveIntegerField(default=0, verbose_name=_("duplicates"))
    rejected = models.PositiveIntegerField(default=0, verbose_name=_("rejected"))
    seconds = models.FloatField(default=0, verbose_name=_("seconds"))
    # Doubles as the batch's heartbeat: a PROCESSING batch with no new chunk for a while is stale.
    created_at = models.DateTimeField(auto_now_add=True, null=True, verbose_name=_("created at"))

    class Meta:
        ordering = ["batch", "index"]
        constraints = [models.UniqueConstraint(fields=["batch", "index"], name="ingest_chunk_unique_index")]

    def __str__(self) -> str:
        return f"batch {self.batch_id} chunk {self.index}"


class RejectedRow(models.Model):
    class Reason(models.TextChoices):
        MALFORMED = "malformed", _("Malformed row")
        UNKNOWN_METER = "unknown_meter", _("Unknown meter")
        NOT_INSTALLED = "not_installed", _("Meter not installed at that time")
        OFF_GRID = "off_grid", _("Timestamp not on the interval grid")
        FUTURE = "future", _("Timestamp in the future")
        NEGATIVE = "negative", _("Negative value")
        SPIKE = "spike", _("Value above what the contracted capacity can draw")
        REGISTER_BACKWARDS = "register_backwards", _("Register went backwards")
        TOU_SUM_MISMATCH = "tou_sum_mismatch", _("TOU registers do not add up to the total")

    batch = models.ForeignKey(
        IngestBatch, on_delete=models.CASCADE, related_name="rejected_rows", verbose_name=_("batch")
    )
    line_number = models.PositiveIntegerField(_("line"))
    raw = models.TextField(_("raw row"))
    reason_code = models.CharField(_("reason"), max_length=32, choices=Reason.choices, db_index=True)
    message = models.CharField(_("message"), max_length=500)

    class Meta:
        ordering = ["batch", "line_number", "id"]
        verbose_name = _("rejected row")
        verbose_name_plural = _("rejected rows")

    def __str__(self) -> str:
        return f"line {self.line_number}: {self.reason_code}"
