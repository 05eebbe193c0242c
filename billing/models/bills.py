"""Tariff assignments, bills (with their lines and the reads behind them) and billing runs."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.fields import MONEY_COLUMN, DecimalColumn

MONEY = MONEY_COLUMN
KWH: DecimalColumn = {"max_digits": 16, "decimal_places": 4}


class TariffAssignment(models.Model):
    """Which tariff an account is billed on, from when ([valid_from, valid_to), valid_to exclusive)."""

    class DemandBasis(models.TextChoices):
        CAPACITY = "capacity", _("Contracted capacity (kVA)")
        DEMAND = "demand", _("Maximum demand (kW)")

    account = models.ForeignKey(
        "customers.Account", on_delete=models.PROTECT, related_name="tariff_assignments", verbose_name=_("account")
    )
    tariff = models.ForeignKey(
        "billing.Tariff", on_delete=models.PROTECT, related_name="assignments", verbose_name=_("tariff")
    )
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to (exclusive)"), null=True, blank=True)
    demand_basis = models.CharField(
        _("two-part basis"), max_length=8, choices=DemandBasis.choices, default=DemandBasis.CAPACITY
    )

    class Meta:
        ordering = ["account", "valid_from"]
        verbose_name = _("tariff assignment")
        verbose_name_plural = _("tariff assignments")
        constraints = [
            models.UniqueConstraint(fields=["account", "valid_from"], name="tariff_assignment_unique_start"),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gt=models.F("valid_from")),
                name="tariff_assignment_valid_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account_id} {self.tariff_id} from {self.valid_from}"


class BillingRun(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        RUNNING = "running", _("Running")
        COMPLETED = "completed", _("Completed")

    period_start = models.DateField(_("period start"))
    period_end = models.DateField(_("period end (exclusive)"))
    as_of = models.DateTimeField(_("as of"))
    account_ids = models.JSONField(_("only these accounts"), null=True, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING, verbose_name=_("status"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    started_at = models.DateTimeField(null=True, blank=True, verbose_name=_("started at"))
    finished_at = models.DateTimeField(null=True, blank=True, verbose_name=_("finished at"))
    accounts = models.PositiveIntegerField(_("accounts in scope"), default=0)
    issued = models.PositiveIntegerField(_("issued"), default=0)
    held = models.PositiveIntegerField(_("held"), default=0)
    existing = models.PositiveIntegerField(_("already billed"), default=0)
    skipped = models.PositiveIntegerField(_("skipped"), default=0)
    problems = models.JSONField(_("skipped accounts and why"), default=dict, blank=True)
    # Progress and recovery (billing.services.billing_run.redrive_stalled_runs): the database time a
    # worker last took or finished a chunk, and how often the run was handed to the workers again.
    heartbeat_at = models.DateTimeField(_("last progress"), null=True, blank=True)
    redriven = models.PositiveIntegerField(_("re-driven"), default=0)
    redriven_at = models.DateTimeField(_("last re-driven"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("billing run")
        verbose_name_plural = _("billing runs")
        constraints = [
            models.CheckConstraint(condition=Q(period_end__gt=models.F("period_start")), name="billing_run_period")
        ]

    def __str__(self) -> str:
        return f"run #{self.pk} {self.period_start:%Y-%m}"


class BillingRunChunk(models.Model):
    """A range of account ids of a run. Workers claim chunks with SELECT … FOR UPDATE SKIP LOCKED and
    write the chunk's bills in the same transaction that marks it done, so several workers share a
    run, and a crashed worker's chunk is simply claimed again."""

    run = models.ForeignKey(BillingRun, on_delete=models.CASCADE, related_name="chunks", verbose_name=_("run"))
    index = models.PositiveIntegerField(verbose_name=_("index"))
    first_account_id = models.BigIntegerField(verbose_name=_("first account ID"))
    last_account_id = models.BigIntegerField(verbose_name=_("last account ID"))
    done = models.BooleanField(default=False, verbose_name=_("done"))
    issued = models.PositiveIntegerField(default=0, verbose_name=_("issued"))
    held = models.PositiveIntegerField(default=0, verbose_name=_("held"))
    existing = models.PositiveIntegerField(default=0, verbose_name=_("existing"))
    skipped = models.PositiveIntegerField(default=0, verbose_name=_("skipped"))
    problems = models.JSONField(default=dict, blank=True, verbose_name=_("problems"))

    class Meta:
        ordering = ["run", "index"]
        constraints = [models.UniqueConstraint(fields=["run", "index"], name="billing_run_chunk_unique_index")]

    def __str__(self) -> str:
        return f"run {self.run_id} chunk {self.index}"


class Bill(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        HELD = "held", _("Held for review")
        ISSUED = "issued", _("Issued")
        PARTIALLY_PAID = "partially_paid", _("Partially paid")
        PAID = "paid", _("Paid")
        VOID = "void", _("Void")

    account = models.ForeignKey(
        "customers.Account", on_delete=models.PROTECT, related_name="bills", verbose_name=_("account")
    )
    period_start = models.DateField(_("period start"))
    period_end = models.DateField(_("period end (exclusive)"))
    revision = models.PositiveSmallIntegerField(_("revision"), default=1)
    replaces = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="replaced_by", verbose_name=_("replaces")
    )
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.DRAFT, db_index=True)
    hold_reasons = models.JSONField(_("hold reasons"), default=list, blank=True)
    tariff = models.ForeignKey("billing.Tariff", on_delete=models.PROTECT, related_name="+", verbose_name=_("tariff"))
    split_method = models.CharField(
        _("split"), max_length=20, blank=True, help_text=_("How a mid-period tariff change was split.")
    )
    consumption_source = models.CharField(
        _("consumption from"),
        max_length=16,
        choices=[("registers", _("Register reads")), ("intervals", _("Interval readings"))],
    )
    total_kwh = models.DecimalField(_("kWh"), **KWH)
    annual_kwh_before = models.DecimalField(_("kWh earlier this year"), **KWH)
    estimated_share = models.DecimalField(_("estimated share"), max_digits=5, decimal_places=4, default=0)
    power_factor = models.DecimalField(_("power factor"), max_digits=4, decimal_places=3, null=True, blank=True)
    max_demand_kw = models.DecimalField(
        _("maximum demand (kW)"), max_digits=12, decimal_places=3, null=True, blank=True
    )
    amount = models.DecimalField(_("amount (CNY)"), **MONEY)
    due_date = models.DateField(_("due date"), null=True, blank=True)
    issued_at = models.DateTimeField(_("issued at"), null=True, blank=True)
    run = models.ForeignKey(
        BillingRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="bills", verbose_name=_("run")
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))

    class Meta:
        ordering = ["-period_start", "account", "-revision"]
        verbose_name = _("bill")
        verbose_name_plural = _("bills")
        constraints = [
            models.UniqueConstraint(
                fields=["account", "period_start", "revision"], name="bill_unique_account_period_revision"
            ),
            # Whatever races happen, one live (non-void) bill per account and period.
            models.UniqueConstraint(
                fields=["account", "period_start"], condition=~Q(status="void"), name="bill_one_live_per_period"
            ),
            models.CheckConstraint(condition=Q(period_end__gt=models.F("period_start")), name="bill_period"),
        ]

    def __str__(self) -> str:
        return f"{self.account_id} {self.period_start:%Y-%m} r{self.revision}"


class BillLine(models.Model):
    bill = models.ForeignKey(Bill, on_delete=models.CASCADE, related_name="lines", verbose_name=_("bill"))
    position = models.PositiveSmallIntegerField(verbose_name=_("position"))
    code = models.CharField(max_length=32, verbose_name=_("code"))
    description = models.CharField(max_length=200, verbose_name=_("description"))
    quantity = models.DecimalField(max_digits=20, decimal_places=4, verbose_name=_("quantity"))
    unit = models.CharField(max_length=16, verbose_name=_("unit"))
    rate = models.DecimalField(max_digits=12, decimal_places=5, verbose_name=_("rate"))
    amount = models.DecimalField(**MONEY, verbose_name=_("amount"))

    class Meta:
        ordering = ["bill", "position"]
        constraints = [models.UniqueConstraint(fields=["bill", "position"], name="bill_line_unique_position")]

    def __str__(self) -> str:
        return f"{self.description}: {self.amount}"


class BillRead(models.Model):
    """A register's start and end reads used by a bill (difference × multiplier = kWh)."""

    class Register(models.TextChoices):
        TOTAL = "total", _("Total")
        SHARP = "sharp", _("Sharp peak")
        PEAK = "peak", _("Peak")
        FLAT = "flat", _("Flat")
        VALLEY = "valley", _("Valley")
        REACTIVE = "reactive", _("Reactive (kvarh)")

    bill = models.ForeignKey(Bill, on_delete=models.CASCADE, related_name="reads", verbose_name=_("bill"))
    meter = models.ForeignKey("billing.Meter", on_delete=models.PROTECT, related_name="+", verbose_name=_("meter"))
    register = models.CharField(max_length=8, choices=Register.choices, verbose_name=_("register"))
    start_at = models.DateTimeField(verbose_name=_("start at"))
    start_value = models.DecimalField(max_digits=14, decimal_places=2, verbose_name=_("start value"))
    end_at = models.DateTimeField(verbose_name=_("end at"))
    end_value = models.DecimalField(max_digits=14, decimal_places=2, verbose_name=_("end value"))
    multiplier = models.DecimalField(max_digits=10, decimal_places=2, verbose_name=_("multiplier"))
    kwh = models.DecimalField(**KWH, verbose_name=_("kWh"))

    class Meta:
        ordering = ["bill", "meter", "register"]

    def __str__(self) -> str:
        return f"{self.meter_id} {self.register}: {self.start_value} → {self.end_value}"
