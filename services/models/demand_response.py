"""Demand response (需求响应): programs and their versioned incentive terms, enrolments, events, each
account's participation in an event, and the settlement that turns measured response into money.

Periods are [valid_from, valid_to) with an exclusive, nullable valid_to (as tariffs). Money is CNY as
Decimal; unit prices keep 5 places. The maths (baselines, performance, gaming) lives in
analytics.demand_response as pure functions; the workflow in services.actions.demand_response; the
money lands in billing's ledger as ordinary entries. docs/demand-response.md states every rule.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.fields import MONEY_COLUMN, DecimalColumn

MONEY = MONEY_COLUMN
PRICE: DecimalColumn = {"max_digits": 12, "decimal_places": 5}
KW: DecimalColumn = {"max_digits": 12, "decimal_places": 3}
RATIO: DecimalColumn = {"max_digits": 6, "decimal_places": 4}


class DRProgram(models.Model):
    class Kind(models.TextChoices):
        PEAK_SHAVING = "shave", _("Peak shaving (削峰)")
        VALLEY_FILLING = "fill", _("Valley filling (填谷)")

    class NoticeClass(models.TextChoices):
        CONTRACTED = "contracted", _("Contracted (约定响应)")
        DAY_AHEAD = "day_ahead", _("Day-ahead invitation (日前邀约)")
        REAL_TIME = "real_time", _("Real-time / intraday (实时/日内)")

    class BaselineMethod(models.TextChoices):
        SIMILAR_WORKING_DAYS = "similar_working_days", _("Similar working days (5 days, Jiangsu)")
        HIGH_5_OF_10 = "high_5_of_10", _("High 5 of 10")
        TEN_OF_TEN_ADJUSTED = "ten_of_ten_adjusted", _("10 of 10 with same-day adjustment (±20 %)")
        REGRESSION = "regression", _("Regression on time of week and temperature")

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    description = models.TextField(_("description"), blank=True)
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    notice_class = models.CharField(_("notice class"), max_length=16, choices=NoticeClass.choices)
    min_notice_minutes = models.PositiveIntegerField(
        _("minimum notice (minutes)"),
        help_text=_("Events must be announced at least this long before they start (e.g. 30 for intraday)."),
    )
    response_deadline_minutes = models.PositiveIntegerField(
        _("answer deadline before start (minutes)"),
        default=0,
        help_text=_("Customers may opt in or out until this long before the event starts."),
    )
    valid_from = models.DateField(_("season from"))
    valid_to = models.DateField(_("season to (exclusive)"), null=True, blank=True)
    eligible_categories = models.JSONField(
        _("eligible categories"), default=list, help_text=_('Account categories, e.g. ["residential"].')
    )
    min_contracted_kva = models.DecimalField(
        _("minimum contracted capacity (kVA)"), max_digits=10, decimal_places=2, null=True, blank=True
    )
    target_areas = models.ManyToManyField(
        "customers.TransformerArea", blank=True, related_name="+", verbose_name=_("target areas (empty: all)")
    )
    baseline_method = models.CharField(_("baseline method"), max_length=24, choices=BaselineMethod.choices)
    baseline_options = models.JSONField(
        _("baseline options"),
        default=dict,
        blank=True,
        help_text=_('Overrides of the baseline settings, e.g. {"adjustment_cap": 0.2}; see docs/demand-response.md.'),
    )
    min_data_share = models.DecimalField(
        _("minimum interval data share"),
        max_digits=4,
        decimal_places=3,
        default=0.8,
        help_text=_("Eligibility: share of expected intervals measured (not estimated) in the data window."),
    )
    data_window_days = models.PositiveSmallIntegerField(_("data window (days)"), default=15)
    max_event_hours = models.DecimalField(_("longest event (hours)"), max_digits=4, decimal_places=2, default=4)
    max_events_per_month = models.PositiveSmallIntegerField(_("events per month at most"), default=10)
    settlement_needs_approval = models.BooleanField(
        _("settlements need staff approval"),
        default=False,
        help_text=_("Flagged settlements always go to staff review; this sends every settlement there."),
    )
    allow_ven_reported_data = models.BooleanField(
        _("accept VEN-reported usage"),
        default=False,
        help_text=_("Measurement may use OpenADR USAGE reports where meter data is missing."),
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))

    class Meta:
        ordering = ["-valid_from", "code"]
        verbose_name = _("demand-response program")
        verbose_name_plural = _("demand-response programs")
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gt=F("valid_from")), name="dr_program_season"
            ),
            models.CheckConstraint(condition=Q(max_event_hours__gt=0), name="dr_program_event_hours_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def is_peak_shaving(self) -> bool:
        return self.kind == self.Kind.PEAK_SHAVING


class DRProgramTerms(models.Model):
    """One version of a program's incentive terms. A version that paid a settlement is locked.

    The formula's coefficients are data: incentive = verified kWh × energy_price, or verified average kW
    × capacity_price per event; nothing is paid below ``threshold_ratio`` of the committed kW; what is
    above ``payable_ratio_cap`` is not paid; caps per event, month and season are money; the penalty is
    (committed × penalty_below_ratio − verified) × the price × penalty_factor when the ratio is below
    ``penalty_below_ratio``."""

    program = models.ForeignKey(DRProgram, on_delete=models.CASCADE, related_name="terms", verbose_name=_("program"))
    version = models.PositiveSmallIntegerField(_("version"))
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to (exclusive)"), null=True, blank=True)
    energy_price = models.DecimalField(_("energy price (CNY/kWh)"), null=True, blank=True, **PRICE)
    capacity_price = models.DecimalField(_("capacity price (CNY/kW per event)"), null=True, blank=True, **PRICE)
    availability_price = models.DecimalField(_("availability payment (CNY/kW·month)"), null=True, blank=True, **PRICE)
    threshold_ratio = models.DecimalField(_("effective response from (verified ÷ committed)"), default=0.5, **RATIO)
    payable_ratio_cap = models.DecimalField(
        _("paid up to (verified ÷ committed)"), null=True, blank=True, default=1.2, **RATIO
    )
    penalty_below_ratio = models.DecimalField(_("penalty below (verified ÷ committed)"), null=True, blank=True, **RATIO)
    penalty_factor = models.DecimalField(_("penalty factor"), null=True, blank=True, **RATIO)
    cap_per_event = models.DecimalField(_("cap per event (CNY)"), null=True, blank=True, **MONEY)
    cap_per_month = models.DecimalField(_("cap per month (CNY)"), null=True, blank=True, **MONEY)
    cap_per_season = models.DecimalField(_("cap per season (CNY)"), null=True, blank=True, **MONEY)
    summary = models.TextField(_("terms in plain words"), blank=True)
    locked_at = models.DateTimeField(_("locked at"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))

    class Meta:
        ordering = ["program", "version"]
        verbose_name = _("program terms")
        verbose_name_plural = _("program terms")
        constraints = [
            models.UniqueConstraint(fields=["program", "version"], name="dr_terms_unique_version"),
            models.UniqueConstraint(fields=["program", "valid_from"], name="dr_terms_unique_start"),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gt=F("valid_from")), name="dr_terms_period"
            ),
            models.CheckConstraint(
                condition=Q(energy_price__isnull=False) | Q(capacity_price__isnull=False),
                name="dr_terms_has_a_price",
            ),
            models.CheckConstraint(
                condition=Q(threshold_ratio__gte=0) & Q(threshold_ratio__lte=2), name="dr_terms_threshold_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.program.code} v{self.version}"


class DREnrolment(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", _("Enrolled")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    class Channel(models.TextChoices):
        HALL = "hall", _("Business hall")
        API = "api", _("API")
        STAFF = "staff", _("Staff, for the customer")
        OPENADR = "openadr", _("OpenADR")

    program = models.ForeignKey(
        DRProgram, on_delete=models.PROTECT, related_name="enrolments", verbose_name=_("program")
    )
    account = models.ForeignKey(
        "customers.Account", on_delete=models.PROTECT, related_name="dr_enrolments", verbose_name=_("account")
    )
    committed_kw = models.DecimalField(_("committed response (kW)"), **KW)
    terms = models.ForeignKey(
        DRProgramTerms, on_delete=models.PROTECT, related_name="+", verbose_name=_("terms accepted")
    )
    accepted_at = models.DateTimeField(_("terms accepted at"))
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.ACTIVE)
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices)
    enrolled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("enrolled by"),
    )
    staff_reason = models.CharField(_("reason (staff enrolment)"), max_length=300, blank=True)
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("withdrawn by"),
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))

    class Meta:
        ordering = ["program", "account"]
        verbose_name = _("enrolment")
        verbose_name_plural = _("enrolments")
        constraints = [
            models.UniqueConstraint(
                fields=["program", "account"], condition=Q(status="active"), name="dr_enrolment_one_active"
            ),
            models.CheckConstraint(condition=Q(committed_kw__gt=0), name="dr_enrolment_commitment_positive"),
            models.CheckConstraint(
                condition=~Q(channel="staff") | ~Q(staff_reason=""), name="dr_enrolment_staff_gives_reason"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account_id} in {self.program_id} ({self.committed_kw} kW)"


class DREvent(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", pgettext_lazy("dr event", "Draft")
        SCHEDULED = "scheduled", pgettext_lazy("dr event", "Scheduled")
        ACTIVE = "active", pgettext_lazy("dr event", "In progress")
        COMPLETED = "completed", pgettext_lazy("dr event", "Completed")
        SETTLED = "settled", pgettext_lazy("dr event", "Settled")
        CANCELLED = "cancelled", pgettext_lazy("dr event", "Cancelled")

    program = models.ForeignKey(DRProgram, on_delete=models.PROTECT, related_name="events", verbose_name=_("program"))
    name = models.CharField(_("name"), max_length=100)
    start = models.DateTimeField(_("start"))
    end = models.DateTimeField(_("end"))
    notice_at = models.DateTimeField(
        _("notice time"), help_text=_("When customers are told; the baseline's adjustment window ends before it.")
    )
    response_deadline = models.DateTimeField(_("answer deadline"))
    requested_kw = models.DecimalField(_("requested response (kW)"), **KW)
    target_areas = models.ManyToManyField(
        "customers.TransformerArea", blank=True, related_name="+", verbose_name=_("target areas")
    )
    target_feeders = models.ManyToManyField(
        "customers.Feeder", blank=True, related_name="+", verbose_name=_("target feeders")
    )
    target_segments = models.ManyToManyField(
        "analytics.Segment", blank=True, related_name="+", verbose_name=_("target segments")
    )
    target_accounts = models.ManyToManyField(
        "customers.Account", blank=True, related_name="+", verbose_name=_("target accounts")
    )
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.DRAFT)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    dispatched_at = models.DateTimeField(_("dispatched at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    cancel_reason = models.CharField(_("cancellation reason"), max_length=300, blank=True)
    modified_at = models.DateTimeField(auto_now=True, verbose_name=_("modified at"))

    class Meta:
        ordering = ["-start"]
        verbose_name = _("demand-response event")
        verbose_name_plural = _("demand-response events")
        constraints = [
            models.CheckConstraint(condition=Q(end__gt=F("start")), name="dr_event_window"),
            models.CheckConstraint(condition=Q(notice_at__lte=F("start")), name="dr_event_notice_before_start"),
            models.CheckConstraint(
                condition=Q(response_deadline__lte=F("start")), name="dr_event_deadline_before_start"
            ),
            models.CheckConstraint(condition=Q(requested_kw__gt=0), name="dr_event_request_positive"),
        ]
        indexes = [models.Index(fields=["status", "start"], name="dr_event_status_start")]

    def __str__(self) -> str:
        return f"{self.name} ({self.start:%Y-%m-%d %H:%M})"


class DRParticipation(models.Model):
    """One enrolled account's part in one event: invited, then in or out (by default per notice class)."""

    class Response(models.TextChoices):
        OPTED_IN = "opted_in", _("Taking part")
        OPTED_OUT = "opted_out", _("Not taking part")

    event = models.ForeignKey(DREvent, on_delete=models.CASCADE, related_name="participations", verbose_name=_("event"))
    enrolment = models.ForeignKey(
        DREnrolment, on_delete=models.PROTECT, related_name="participations", verbose_name=_("enrolment")
    )
    account = models.ForeignKey(
        "customers.Account", on_delete=models.PROTECT, related_name="dr_participations", verbose_name=_("account")
    )
    committed_kw = models.DecimalField(_("committed (kW)"), **KW)
    response = models.CharField(_("answer"), max_length=12, choices=Response.choices)
    answered = models.BooleanField(_("answered by the customer"), default=False)
    responded_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    invited_at = models.DateTimeField(_("invited at"))

    class Meta:
        ordering = ["event", "account"]
        verbose_name = _("participation")
        verbose_name_plural = _("participations")
        constraints = [models.UniqueConstraint(fields=["event", "account"], name="dr_participation_unique")]

    def __str__(self) -> str:
        return f"{self.account_id} in event {self.event_id}: {self.response}"


class DRParticipationChange(models.Model):
    """Every answer (and default) with who and when: the record a dispute is settled on."""

    participation = models.ForeignKey(
        DRParticipation, on_delete=models.CASCADE, related_name="changes", verbose_name=_("participation")
    )
    response = models.CharField(max_length=12, choices=DRParticipation.Response.choices, verbose_name=_("response"))
    changed_at = models.DateTimeField(verbose_name=_("changed at"))
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("changed by"),
    )
    channel = models.CharField(
        max_length=8, choices=[*DREnrolment.Channel.choices, ("default", _("Default"))], verbose_name=_("channel")
    )

    class Meta:
        ordering = ["participation", "changed_at", "id"]

    def __str__(self) -> str:
        return f"{self.participation_id} → {self.response} at {self.changed_at:%Y-%m-%d %H:%M}"


class DRSettlement(models.Model):
    """What one participation earned: measured against the baseline, priced by the terms in force, and
    posted to the ledger once. A correction is a new revision; the ledger gets only the difference."""

    class Status(models.TextChoices):
        AWAITING_DATA = "awaiting_data", _("Awaiting complete data")
        REVIEW = "review", _("Staff review")
        READY = "ready", _("Ready to post")
        POSTED = "posted", _("Posted to the ledger")

    participation = models.OneToOneField(
        DRParticipation, on_delete=models.CASCADE, related_name="settlement", verbose_name=_("participation")
    )
    status = models.CharField(_("status"), max_length=16, choices=Status.choices)
    revision = models.PositiveSmallIntegerField(_("revision"), default=1)
    terms = models.ForeignKey(DRProgramTerms, on_delete=models.PROTECT, related_name="+", verbose_name=_("terms"))
    baseline_method = models.CharField(_("baseline method"), max_length=24)
    data_source = models.CharField(_("data source"), max_length=16, default="meter")
    baseline_kwh = models.DecimalField(_("baseline (kWh)"), max_digits=14, decimal_places=3)
    actual_kwh = models.DecimalField(_("actual (kWh)"), max_digits=14, decimal_places=3)
    verified_kwh = models.DecimalField(_("verified response (kWh)"), max_digits=14, decimal_places=3)
    verified_kw = models.DecimalField(_("verified average response (kW)"), **KW)
    ratio = models.DecimalField(_("verified ÷ committed"), null=True, blank=True, **RATIO)
    incentive = models.DecimalField(_("incentive (CNY)"), **MONEY)
    penalty = models.DecimalField(_("penalty (CNY)"), **MONEY)
    net = models.DecimalField(_("net (CNY)"), **MONEY)
    posted_net = models.DecimalField(_("posted so far (CNY)"), default=0, **MONEY)
    flags = models.JSONField(_("flags"), default=list, blank=True)
    detail = models.JSONField(
        _("detail"), default=dict, blank=True, help_text=_("Per-interval baseline and actual, days used, caps applied.")
    )
    computed_at = models.DateTimeField(_("computed at"))
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("reviewed by"),
    )
    review_note = models.CharField(_("review note"), max_length=300, blank=True)
    posted_at = models.DateTimeField(_("posted at"), null=True, blank=True)

    class Meta:
        ordering = ["participation"]
        verbose_name = _("settlement")
        verbose_name_plural = _("settlements")
        constraints = [
            models.CheckConstraint(condition=Q(incentive__gte=0) & Q(penalty__gte=0), name="dr_settlement_money_signs"),
        ]

    def __str__(self) -> str:
        return f"settlement {self.participation_id} r{self.revision}: {self.net}"
