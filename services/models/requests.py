"""Online service requests (业务办理): the catalogue as rows, the requests, their steps, history and files."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from security.fields import EncryptedQuerySet, EncryptedTextField


class ServiceType(models.Model):
    """A kind of request. Written from services/catalogue.py after every migrate; read-only in the admin."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=120)
    group = models.CharField(_("group"), max_length=20, db_index=True)
    description = models.TextField(_("description"), blank=True)
    form_fields = models.JSONField(_("form fields"), default=list)
    required_documents = models.JSONField(_("required documents"), default=list)
    optional_documents = models.JSONField(_("optional documents"), default=list)
    needs_account = models.BooleanField(_("about an existing account"), default=True)
    effect = models.CharField(_("effect on completion"), max_length=30, blank=True)
    total_sla_days = models.PositiveSmallIntegerField(_("end-to-end limit (working days)"), null=True, blank=True)
    position = models.PositiveSmallIntegerField(default=0, verbose_name=_("position"))
    active = models.BooleanField(_("offered"), default=True)
    staff_only = models.BooleanField(_("filed by staff only"), default=False)

    class Meta:
        ordering = ["position"]
        verbose_name = _("service type")
        verbose_name_plural = _("service types")

    def __str__(self) -> str:
        return gettext(self.name)  # the row keeps the English source; people read it in their language


class WorkflowStep(models.Model):
    service_type = models.ForeignKey(
        ServiceType, on_delete=models.CASCADE, related_name="steps", verbose_name=_("service type")
    )
    code = models.SlugField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=120)
    role = models.CharField(_("responsible role"), max_length=40)
    sla_days = models.PositiveSmallIntegerField(_("time limit (working days)"), null=True, blank=True)
    sla_by_field = models.JSONField(_("time limit by form answer"), null=True, blank=True)
    records = models.JSONField(_("values to record"), default=list, blank=True)
    terminal = models.BooleanField(_("terminal"), default=False)
    position = models.PositiveSmallIntegerField(default=0, verbose_name=_("position"))

    class Meta:
        ordering = ["service_type", "position"]
        verbose_name = _("workflow step")
        verbose_name_plural = _("workflow steps")
        constraints = [models.UniqueConstraint(fields=["service_type", "code"], name="workflow_step_unique_code")]

    def __str__(self) -> str:
        return f"{self.service_type.code}:{self.code}"


class WorkflowTransition(models.Model):
    service_type = models.ForeignKey(
        ServiceType, on_delete=models.CASCADE, related_name="transitions", verbose_name=_("service type")
    )
    source = models.SlugField(_("from"), max_length=40)
    target = models.SlugField(_("to"), max_length=40)
    action = models.SlugField(_("action"), max_length=20)
    label = models.CharField(_("label"), max_length=80)
    roles = models.JSONField(_("allowed roles"), default=list)
    guard = models.CharField(_("guard"), max_length=40, blank=True)
    note_required = models.BooleanField(_("note required"), default=False)
    position = models.PositiveSmallIntegerField(default=0, verbose_name=_("position"))

    class Meta:
        ordering = ["service_type", "position"]
        verbose_name = _("workflow transition")
        verbose_name_plural = _("workflow transitions")
        constraints = [
            models.UniqueConstraint(fields=["service_type", "source", "action"], name="workflow_transition_unique")
        ]

    def __str__(self) -> str:
        return f"{self.service_type.code}: {self.source} —{self.action}→ {self.target}"


class StaffCoverage(models.Model):
    """Which staff member works which transformer areas: requests there route to them by role."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="service_coverage", verbose_name=_("user")
    )
    area = models.ForeignKey(
        "customers.TransformerArea", on_delete=models.CASCADE, related_name="staff_coverage", verbose_name=_("area")
    )

    class Meta:
        verbose_name = _("staff coverage")
        verbose_name_plural = _("staff coverage")
        constraints = [models.UniqueConstraint(fields=["user", "area"], name="staff_coverage_unique")]

    def __str__(self) -> str:
        return f"{self.user} → {self.area}"


class ServiceRequestQuerySet(EncryptedQuerySet):
    def open(self):
        return self.exclude(status__in=["completed", "rejected", "cancelled"])


class ServiceRequest(models.Model):
    class SlaState(models.TextChoices):
        ON_TIME = "on_time", _("On time")
        DUE_SOON = "due_soon", _("Due soon")
        BREACHED = "breached", _("Overdue")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False, verbose_name=_("public ID"))
    number = models.CharField(_("request number"), max_length=20, unique=True)
    service_type = models.ForeignKey(
        ServiceType, on_delete=models.PROTECT, related_name="requests", verbose_name=_("type")
    )
    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="service_requests", verbose_name=_("applicant")
    )
    account = models.ForeignKey(
        "customers.Account",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="service_requests",
        verbose_name=_("account"),
    )
    area = models.ForeignKey(
        "customers.TransformerArea",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="service_requests",
        verbose_name=_("transformer area"),
    )
    form_data = models.JSONField(_("form answers"), default=dict, blank=True)
    # Names, ID numbers, phones and addresses from the form: one encrypted JSON document.
    private_data = EncryptedTextField(_("personal details"), blank=True)
    recorded = models.JSONField(_("recorded by staff"), default=dict, blank=True)
    status = models.SlugField(_("status"), max_length=40, db_index=True)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_service_requests",
        verbose_name=_("assigned to"),
    )
    assigned_role = models.CharField(_("queue"), max_length=40, blank=True, db_index=True)
    step_due_at = models.DateTimeField(_("step due"), null=True, blank=True, db_index=True)
    due_at = models.DateTimeField(_("due (end to end)"), null=True, blank=True)
    sla_state = models.CharField(
        _("time limit"), max_length=10, choices=SlaState.choices, default=SlaState.ON_TIME, db_index=True
    )
    submitted_at = models.DateTimeField(_("submitted at"))
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    effect_result = models.JSONField(_("effect of completion"), default=dict, blank=True)
    rating = models.PositiveSmallIntegerField(_("rating"), null=True, blank=True)
    rating_comment = models.TextField(_("rating comment"), blank=True)
    rated_at = models.DateTimeField(_("rated at"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))

    objects = ServiceRequestQuerySet.as_manager()

    class Meta:
        ordering = ["-submitted_at"]
        verbose_name = _("service request")
        verbose_name_plural = _("service requests")
        constraints = [
            models.CheckConstraint(
                condition=Q(rating__isnull=True) | Q(rating__gte=1, rating__lte=5), name="service_request_rating_1_5"
            )
        ]
        indexes = [models.Index(fields=["assigned_role", "status"], name="service_request_queue")]

    def __str__(self) -> str:
        return self.number

    @property
    def is_closed(self) -> bool:
        return self.status in ("completed", "rejected", "cancelled")


class RequestStep(models.Model):
    """One stay of a request in a step: when it started, when it is due, when it ended and who acted.
    The progress timeline and the SLA reports are read from these rows."""

    request = models.ForeignKey(
        ServiceRequest, on_delete=models.CASCADE, related_name="steps", verbose_name=_("request")
    )
    code = models.SlugField(_("step"), max_length=40)
    name = models.CharField(_("step name"), max_length=120)
    role = models.CharField(_("responsible role"), max_length=40)
    started_at = models.DateTimeField(_("started at"))
    sla_days = models.PositiveSmallIntegerField(_("time limit (working days)"), null=True, blank=True)
    due_at = models.DateTimeField(_("due at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("handled by"),
    )
    warned_at = models.DateTimeField(_("due-soon warning at"), null=True, blank=True)
    breached_at = models.DateTimeField(_("breach flagged at"), null=True, blank=True)
    escalated_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("escalated to"),
    )

    class Meta:
        ordering = ["request", "started_at", "id"]
        verbose_name = _("request step")
        verbose_name_plural = _("request steps")
        constraints = [
            models.UniqueConstraint(
                fields=["request"], condition=Q(finished_at__isnull=True), name="request_step_one_open"
            )
        ]

    def __str__(self) -> str:
        return f"{self.request_id}:{self.code}"

    @property
    def on_time(self) -> bool | None:
        if self.due_at is None or self.finished_at is None:
            return None
        return self.finished_at <= self.due_at


class RequestEvent(models.Model):
    """The request's history: every transition (who, when, from, to, note) and SLA events."""

    request = models.ForeignKey(
        ServiceRequest, on_delete=models.CASCADE, related_name="events", verbose_name=_("request")
    )
    action = models.SlugField(_("action"), max_length=20)
    from_status = models.SlugField(_("from"), max_length=40, blank=True)
    to_status = models.SlugField(_("to"), max_length=40, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("actor"),
    )
    actor_role = models.CharField(_("acting as"), max_length=40, blank=True)
    note = models.TextField(_("note"), blank=True)
    at = models.DateTimeField(_("at"), db_index=True)

    class Meta:
        ordering = ["request", "at", "id"]
        verbose_name = _("request event")
        verbose_name_plural = _("request events")

    def __str__(self) -> str:
        return f"{self.request_id} {self.action} {self.from_status}→{self.to_status}"


class RequestAttachment(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False, verbose_name=_("public ID"))
    request = models.ForeignKey(
        ServiceRequest, on_delete=models.CASCADE, related_name="attachments", verbose_name=_("request")
    )
    document_type = models.CharField(_("document"), max_length=40)
    original_name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(_("detected type"), max_length=60)
    size_bytes = models.PositiveIntegerField(_("size (bytes)"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    stored_path = models.CharField(_("stored file"), max_length=300, help_text=_("Relative to private storage."))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("uploaded by")
    )
    uploaded_at = models.DateTimeField(_("uploaded at"))

    class Meta:
        ordering = ["request", "uploaded_at"]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return self.original_name


class ScheduledAccountChange(models.Model):
    """A completed request's change that applies from a future date (capacity, pause)."""

    request = models.ForeignKey(
        ServiceRequest, on_delete=models.PROTECT, related_name="scheduled_changes", verbose_name=_("request")
    )
    account = models.ForeignKey(
        "customers.Account", on_delete=models.PROTECT, related_name="scheduled_changes", verbose_name=_("account")
    )
    field = models.CharField(_("field"), max_length=30)
    value = models.CharField(_("new value"), max_length=40)
    effective_on = models.DateField(_("effective on"), db_index=True)
    applied_at = models.DateTimeField(_("applied at"), null=True, blank=True)

    class Meta:
        ordering = ["effective_on", "id"]
        verbose_name = _("scheduled account change")
        verbose_name_plural = _("scheduled account changes")
        constraints = [
            models.UniqueConstraint(fields=["request", "field", "effective_on"], name="scheduled_change_unique")
        ]

    def __str__(self) -> str:
        return f"{self.account_id}.{self.field}={self.value} from {self.effective_on}"
